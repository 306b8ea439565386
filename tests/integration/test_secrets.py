"""Every command, every output and every file written: the known secret and the API token never appear."""

from __future__ import annotations

import hashlib
import html
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from tests.helpers import API_TOKEN, P_MEANREV, P_MOMENTUM, SECRET, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")

ROTATED = "rotated-IB-Secret-91b2e4"


def scan(tmp_path, runs, *secrets):
    for secret in secrets:
        for run in runs:
            assert secret not in run.out and secret not in run.err, run
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_no_secret_anywhere(cli, sandbox, manifests, tmp_path, monkeypatch):
    ib = manifest(
        "meanrev",
        P_MEANREV,
        node="live-node-2",
        brokerage=ib_brokerage(),
        parameters={"api-key": "${env:IB_PASSWORD}", "plain": "x"},
        notification={
            "targets": [{"address": "https://hooks.example.com/x", "headers": {"Auth": "${env:IB_PASSWORD}"}}]
        },
    )
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM), ib)

    assert cli("-v", "validate", str(manifests)).code == 0
    first = cli("-v", "plan", str(manifests))
    assert "brokerage.ib-password: (sensitive)" in first.out
    assert "parameters.api-key: (sensitive)" in first.out
    assert cli("-v", "apply", "--auto-approve", str(manifests)).code == 0
    # the sandbox really received the secret: it is resolved for the API, and only there
    [deployed] = sandbox.deployments(P_MEANREV)
    assert deployed["settings"]["parameters"]["api-key"] == SECRET
    assert cli("-v", "plan", str(manifests)).code == 0
    assert cli("-v", "status", str(manifests)).code == 0
    assert cli("-v", "adopt", str(manifests), "meanrev").code == 0
    assert cli("schema").code == 0

    monkeypatch.setenv("IB_PASSWORD", ROTATED)  # rotation shows as a change, without either value
    rotated = cli("-v", "plan", str(manifests))
    assert "-/+ meanrev" in rotated.out
    assert "~ brokerage.ib-password: (sensitive) -> (sensitive)" in rotated.out
    assert "reason: brokerage changed" in rotated.out
    assert cli("-v", "apply", "--auto-approve", str(manifests)).code == 0
    assert "No changes." in cli("plan", str(manifests)).out

    # error paths: a failing create whose error names the brokerage, an auth failure
    sandbox.admin("crash", projectId=P_MEANREV, error=f"Login failed for password {ROTATED}")
    assert any(ROTATED in d["error"] for d in sandbox.admin("state")["state"]["deployments"])
    crashed = cli("-v", "plan", str(manifests))
    assert "Login failed for password (sensitive)" in crashed.out
    monkeypatch.setenv("QC_API_TOKEN", API_TOKEN + "-wrong")
    assert cli("-v", "plan", str(manifests)).code == 1
    runs = cli.runs
    assert len(runs) == 12
    scan(tmp_path, runs, SECRET, ROTATED, API_TOKEN)


def test_ledger_holds_only_salted_hashes(cli, manifests, ledger_path):
    write(manifests, "a.yaml", manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage()))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    text = ledger_path.read_text()
    assert '"ib-password": {\n' in text and '"$sensitive": "scrypt2:' in text
    assert SECRET not in text


def test_a_ledger_hashed_with_the_legacy_scheme_still_compares(cli, manifests, ledger_path, monkeypatch):
    """Ledgers written before scrypt2 hold "scrypt:" hashes (N=2^14, r=8, p=1): the same secret is no change, a
    rotated one is, and a replace records the new scheme."""
    write(manifests, "a.yaml", manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage()))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    ledger = json.loads(ledger_path.read_text())
    salt = ledger["salt"]
    entry = next(iter(ledger["deployments"].values()))
    legacy = "scrypt:" + hashlib.scrypt(SECRET.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=16).hex()
    entry["spec"]["brokerage"]["ib-password"]["$sensitive"] = legacy
    ledger_path.write_text(json.dumps(ledger))

    plan = cli("plan", "--format", "json", str(manifests))
    assert plan.code == 0 and json.loads(plan.out)["changes"] == [], plan.out
    monkeypatch.setenv("IB_PASSWORD", ROTATED)
    rotated = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert [c["action"] for c in rotated["changes"]] == ["replace"]
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert '"$sensitive": "scrypt2:' in ledger_path.read_text()


ODD = 'pw-ä"q\\uote-7Zk'  # non-ASCII, a quote and a backslash: its JSON-escaped form differs from it
SHORT = "xyz"


def test_secrets_echoed_back_by_the_api_in_every_form(cli, sandbox, manifests, tmp_path, monkeypatch):
    """An API error that repeats the request: whole (JSON-escaped), and each value alone, a secret embedded
    in a larger string and a secret too short to scrub as a word; every output and file is scanned."""
    monkeypatch.setenv("ODD_PASSWORD", ODD)
    monkeypatch.setenv("SHORT_KEY", SHORT)
    ib = ib_brokerage(password="pw:${env:ODD_PASSWORD}")
    write(
        manifests,
        "a.yaml",
        manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib, parameters={"apikey": "${env:SHORT_KEY}"}),
    )
    assert "shorter than 8 characters" in cli("validate", str(manifests)).err
    assert cli("plan", "--out", str(tmp_path / "plan.json"), str(manifests)).code == 0
    sandbox.admin("faults", once={"echo": {"live/create": 1}})
    result = cli("-v", "apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "Invalid request" in result.out
    sandbox.admin("faults", once={"echo": {"projects/read": 5}})
    assert cli("-v", "plan", str(manifests)).code == 1
    escaped = json.dumps(ODD)[1:-1]
    ascii_escaped = json.dumps(ODD, ensure_ascii=True)[1:-1]
    scan(tmp_path, cli.runs, ODD, escaped, ascii_escaped, f'"{SHORT}"', API_TOKEN)
    assert '"apikey": "(sensitive)"' in result.out  # short: redacted by place


def test_no_secret_in_the_newer_outputs(cli, manifests, tmp_path, monkeypatch):
    """doctor, drift, apply --format json, -v (retries), export --all, state show, and the sandbox's request log."""
    monkeypatch.chdir(tmp_path)  # not this repository, whose examples define environments
    from tests.helpers import start_sandbox

    log = tmp_path / "requests.jsonl"
    box = start_sandbox(log=str(log))
    try:
        monkeypatch.setenv("QC_API_URL", box.url)
        write(
            manifests,
            "a.yaml",
            manifest(
                "meanrev",
                P_MEANREV,
                node="live-node-2",
                brokerage=ib_brokerage(),
                parameters={"api-key": "${env:IB_PASSWORD}"},
            ),
        )
        box.admin("faults", once={"error": {"live/list": 1}})
        assert cli("-v", "apply", "--auto-approve", "--format", "json", str(manifests)).code == 0
        assert cli("-v", "doctor", str(manifests)).code == 0
        assert cli("-v", "drift", str(manifests)).code == 0
        assert cli("-v", "state", "show", "--format", "json").code == 0
        assert cli("export", "--all", "--out", str(tmp_path / "exported")).code == 0
        box.admin("faults", once={"error": {"live/list": 1}})
        monkeypatch.setenv("IB_PASSWORD", ROTATED)
        assert cli("-v", "apply", "--auto-approve", "--format", "json", str(manifests)).code == 0
    finally:
        box.server.shutdown()
        box.server.server_close()
    assert log.stat().st_size > 0 and any("retrying in" in run.err for run in cli.runs)
    scan(tmp_path, cli.runs, SECRET, ROTATED, API_TOKEN)


PLAIN = 'n0te/with space"q\\ä-9Qx'  # under a key that names no credential: only the value rule can hide it


def encodings_of(secret: str) -> list[str]:
    """What the sandbox's echo-encoded fault writes, produced here by the standard library's own encoders."""
    percent = quote(secret, safe="/")
    forms = [
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        json.dumps(json.dumps(secret)[1:-1])[1:-1],
        percent,
        re.sub("%..", lambda m: m.group().lower(), percent),
        quote_plus(secret),
        html.escape(secret),
        secret.encode("ascii", "xmlcharrefreplace").decode(),
        "".join(f"&#x{ord(c):x};" for c in secret),
        repr(secret)[1:-1],
        "".join(f"\\u{ord(c):04x}" for c in secret),
    ]
    return [form for form in forms if form != secret]


def test_secrets_echoed_back_in_every_encoding(cli, sandbox, manifests, tmp_path, monkeypatch):
    """The API repeats the request in an error, each value URL-, HTML-, repr- and JSON-encoded: text, --format
    json and -v output hold none of the forms, for a secret under a credential key and one under a plain key."""
    monkeypatch.setenv("PLAIN_VALUE", PLAIN)
    notification = {
        "targets": [{"address": "https://hooks.example.com/x", "headers": {"X-Note": "${env:PLAIN_VALUE}"}}]
    }
    write(
        manifests,
        "a.yaml",
        manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage(), notification=notification),
    )
    for args in (["-v"], ["-v", "--no-color"], []):
        sandbox.admin("faults", once={"echo-encoded": {"live/create": 1}})
        fmt = ["--format", "json"] if args == [] else []
        result = cli(*args, "apply", "--auto-approve", *fmt, str(manifests))
        assert result.code == 1 and "Invalid request" in result.out + result.err, result
        assert "Login failed for (sensitive)" in result.out + result.err, result
    scan(tmp_path, cli.runs, SECRET, PLAIN, *encodings_of(SECRET), *encodings_of(PLAIN))
