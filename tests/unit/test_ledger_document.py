"""A ledger's text, whichever backend read it: an object, or an error that says where it went wrong; never a
non-object taken for "no ledger yet" (written over, every entry in it would be lost)."""

from __future__ import annotations

import pytest

from qcdeploy.errors import LedgerError
from qcdeploy.ledger.backends.document import ledger_document


def test_a_ledger_object_is_read_from_text_or_bytes():
    assert ledger_document('{"serial": 3}', "l.json") == {"serial": 3}
    assert ledger_document(b'{"serial": 3}', "git:origin") == {"serial": 3}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"serial": 3,\n  "deployments": {]}', "l.json:2:19: the ledger is not valid JSON (Expecting property name"),
        ("[]", "the ledger at l.json is not a JSON object; fix it"),
        ('"deployments"', "the ledger at l.json is not a JSON object; fix it"),
        (b"\xff\xfe{}", "the ledger at l.json is not UTF-8 text; fix it"),
        ('{"serial": 1e999}', "l.json:1:12: 1e999 is not a number qcdeploy accepts"),
    ],
)
def test_anything_but_a_json_object_is_refused_saying_where(text, said):
    with pytest.raises(LedgerError) as refused:
        ledger_document(text, "l.json", "; fix it")
    assert said in str(refused.value)
