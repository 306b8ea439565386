"""A ledger's text as every backend reads it: one JSON object with sane numbers, or a LedgerError saying where.

A ledger that is not an object is an error, never "no ledger yet": taken as empty, it would be written over
and every entry in it lost.
"""

from __future__ import annotations

import json

from qcdeploy.errors import LedgerError
from qcdeploy.files import Unreadable, load_json
from qcdeploy.ledger.backends.base import Doc


def ledger_document(text: str | bytes, where: str, hint: str = "") -> Doc:
    """The ledger held in text, read from where (a path or URL, for messages); hint ends each refusal."""
    try:
        value = load_json(text.decode("utf-8") if isinstance(text, bytes) else text, where)
    except json.JSONDecodeError as exc:
        raise LedgerError(f"{where}:{exc.lineno}:{exc.colno}: the ledger is not valid JSON ({exc.msg}){hint}") from None
    except UnicodeDecodeError:
        raise LedgerError(f"the ledger at {where} is not UTF-8 text{hint}") from None
    except Unreadable as exc:
        raise LedgerError(f"{exc}: the ledger cannot be read{hint}") from None
    if not isinstance(value, dict):
        raise LedgerError(f"the ledger at {where} is not a JSON object{hint}")
    return value
