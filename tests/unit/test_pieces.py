"""Small pure pieces: env references, redaction, time parsing, auth headers, schema copies, ledger files."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from qcdeploy import redact
from qcdeploy.config import Credentials, check_api_url
from qcdeploy.errors import ConfigError
from qcdeploy.ledger.backends.file import FileBackend
from qcdeploy.ledger.store import Ledger
from qcdeploy.manifests.envref import substitute
from qcdeploy.manifests.schema import schema_text
from qcdeploy.quantconnect.decode import newest_per_project, parse_time
from qcdeploy.quantconnect.transport import auth_headers

ROOT = Path(__file__).resolve().parents[2]


def test_packaged_schemas_are_identical_to_schemas_dir():
    for name in ("qcdeploy-v1.schema.json", "qcdeploy-environment-v1.schema.json", "plan-v1.schema.json"):
        assert (ROOT / "schemas" / name).read_text() == schema_text(name)


def test_env_substitution():
    sub = substitute("u-${env:A}-${env:B}-$${env:A}", {"A": "x"})
    assert sub.value == "u-x--${env:A}"
    assert sub.names == ["A", "B"] and sub.missing == ["B"] and sub.sensitive
    assert not substitute("plain $${x}", {}).sensitive
    assert substitute("${oops}", {}).invalid == ["${oops}"]


def test_redact_scrubs_longest_first():
    redact.register("abcdef")
    redact.register("abcdefgh")
    redact.register("ab")  # too short to scrub as a word: only where it stands quoted
    try:
        assert redact.scrub("x abcdefgh y abcdef ab") == "x (sensitive) y (sensitive) ab"
        assert redact.scrub('{"k": "ab"}') == '{"k": "(sensitive)"}'
    finally:
        redact.clear()


def test_parse_both_time_forms():
    a = parse_time("2021-11-26T15:18:27.693Z")
    b = parse_time("2021-11-26 15:18:27")
    assert a is not None and b is not None and a.tzinfo is not None
    assert (a - b).total_seconds() == pytest.approx(0.693)
    assert parse_time("garbage") is None and parse_time(None) is None


def test_newest_deployment_per_project_wins():
    rows = [
        {"projectId": 1, "deployId": "L-old", "status": "Stopped", "launched": "2026-01-01 00:00:00"},
        {"projectId": 1, "deployId": "L-new", "status": "Running", "launched": "2026-01-02T00:00:00Z"},
        {"projectId": 2, "deployId": "L-2", "status": "Running", "launched": "2026-01-01 00:00:00"},
    ]
    newest = newest_per_project(rows)
    assert newest[1].deploy_id == "L-new" and newest[1].active and newest[2].deploy_id == "L-2"


def test_auth_headers_match_qc_scheme():
    headers = auth_headers(Credentials("42", "tok"), 1700000000.9)
    assert headers["Timestamp"] == "1700000000"
    user, _, digest = base64.b64decode(headers["Authorization"][6:]).decode().partition(":")
    assert user == "42" and digest == hashlib.sha256(b"tok:1700000000").hexdigest()
    assert "tok" not in repr(Credentials("42", "tok"))


def test_api_url_rules():
    assert check_api_url("http://127.0.0.1:5612/api/v2") == "http://127.0.0.1:5612/api/v2/"
    assert check_api_url("http://localhost:1/api/v2/").startswith("http://localhost")
    assert check_api_url("https://www.quantconnect.com/api/v2/")
    with pytest.raises(ConfigError):
        check_api_url("http://10.0.0.1/api/v2/")
    with pytest.raises(ConfigError):
        check_api_url("ftp://x/")


def test_ledger_round_trip_and_atomic_file(tmp_path):
    from qcdeploy.model import LedgerEntry

    path = tmp_path / "d" / "state.json"
    ledger = Ledger.load(FileBackend(str(path)))
    ledger.put(LedgerEntry("a", 1, "L-1", {"projectId": 1}, "c", "2026-01-01 00:00:00", "t", "liquidate", True))
    again = Ledger.load(FileBackend(str(path)))
    assert again.salt == ledger.salt and again.entries == ledger.entries
    assert json.loads(path.read_text())["serial"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temp files left behind
    again.remove("a")
    assert Ledger.load(FileBackend(str(path))).entries == {}


def test_active_deployment_beats_a_later_or_undated_inactive_one():
    rows = [
        {"projectId": 1, "deployId": "L-run", "status": "Running", "launched": "2026-01-01 00:00:00"},
        {"projectId": 1, "deployId": "L-odd", "status": "Stopped", "launched": "2026-02-01 00:00:00"},
        {"projectId": 2, "deployId": "L-a", "status": "Stopped", "launched": "2026-01-01 00:00:00"},
        {"projectId": 2, "deployId": "L-b", "status": "InQueue"},
    ]
    newest = newest_per_project(rows)
    assert newest[1].deploy_id == "L-run" and newest[2].deploy_id == "L-b"


def test_deploy_id_may_be_nested():
    from qcdeploy.apply.creating import deploy_id_of as _deploy_id

    assert _deploy_id({"deployId": "L-1"}) == "L-1"
    assert _deploy_id({"live": {"deployId": "L-2"}}) == "L-2"
    assert _deploy_id({"live": None}) == ""


def test_global_flags_may_follow_the_command():
    from qcdeploy.cli.group import hoist_global_flags

    assert hoist_global_flags(["plan", "--no-color", "x", "-v"]) == ["--no-color", "-v", "plan", "x"]
    assert hoist_global_flags(["plan", "--", "-v"]) == ["plan", "--", "-v"]


def test_null_value_is_named_plainly():
    from qcdeploy.manifests.yamlsrc import read_documents

    [doc] = read_documents(
        "m.yaml",
        "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: a}\nspec:\n  project: 1\n  node:\n  brokerage: {id: QuantConnectBrokerage}\n",
    )
    from qcdeploy.manifests import schema

    messages = [p.message for p in schema.check(doc)]
    assert "spec.node: a value is needed here (string), not null (an empty value in YAML)" in messages
