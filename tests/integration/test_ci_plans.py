"""Saved plans, exit codes, JSON and Markdown output, validate formats, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import NODE3, P_MEANREV, P_MOMENTUM, P_PAIRS, SECRET, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")
ROOT = Path(__file__).resolve().parents[2]
WRITES = ("compile/create", "projects/update", "live/create", "live/update/stop", "live/update/liquidate")


def writes(sandbox):
    return sum(sandbox.calls().get(e, 0) for e in WRITES)


def two(manifests, **spec):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, **spec))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage()))


def test_saved_plan_applies_exactly_without_prompt(cli, sandbox, manifests, tmp_path):
    two(manifests)
    out = tmp_path / "plan.json"
    planned = cli("plan", "--out", str(out), str(manifests))
    assert planned.code == 0 and f"qcdeploy apply {out}" in planned.out
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)  # unrelated to the plan: not stale
    result = cli("apply", str(out))  # no --auto-approve, no terminal: handing over the plan is the approval
    assert result.code == 0, result.text
    assert "still matches it" in result.out
    assert len(sandbox.active(P_MOMENTUM)) == 1 and len(sandbox.active(P_MEANREV)) == 1
    again = cli("apply", "--plan", str(out))
    assert again.code == 1 and "plan is stale" in again.err  # a plan can be applied once


@pytest.mark.parametrize(
    ("meddle", "expected"),
    [
        (
            lambda s, m: s.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE3, replace=True),
            "a.yaml): the live deployment changed",
        ),
        (lambda s, m: s.admin("touch", projectId=P_MOMENTUM), "the project's code changed"),
        (
            lambda s, m: write(m, "a.yaml", manifest("momentum", P_MOMENTUM, parameters={"x": 1})),
            "a.yaml): the desired spec (or a secret) changed",
        ),
    ],
    ids=["redeployed-by-hand", "code-changed", "manifest-edited"],
)
def test_stale_plan_is_refused_and_nothing_changes(cli, sandbox, manifests, tmp_path, meddle, expected):
    two(manifests)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 5}))
    out = tmp_path / "plan.json"
    assert cli("plan", "--out", str(out), str(manifests)).code == 0
    meddle(sandbox, manifests)
    before, deployments = writes(sandbox), sandbox.deployments()
    result = cli("apply", str(out))
    assert result.code == 1
    assert "plan is stale" in result.err and expected in result.err and "Nothing was changed" in result.err
    assert writes(sandbox) == before
    assert sandbox.deployments() == deployments


def test_rotated_secret_makes_the_plan_stale(cli, sandbox, manifests, tmp_path, monkeypatch):
    two(manifests)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    monkeypatch.setenv("IB_PASSWORD", "rotated-secret-value")
    out = tmp_path / "plan.json"
    assert cli("plan", "--out", str(out), str(manifests)).code == 0
    monkeypatch.setenv("IB_PASSWORD", "rotated-again-value")
    result = cli("apply", str(out))
    assert result.code == 1 and "the desired spec (or a secret) changed" in result.err


def test_plan_file_holds_references_not_secrets_and_refuses_edits(cli, sandbox, manifests, tmp_path):
    two(manifests)
    out = tmp_path / "plan.json"
    assert cli("plan", "--out", str(out), str(manifests)).code == 0
    text = out.read_text()
    assert SECRET not in text
    body = json.loads(text)
    assert body["desired_specs"]["meanrev"]["brokerage"]["ib-password"] == "${env:IB_PASSWORD}"
    body["fingerprints"][0]["action"] = "stop"
    out.write_text(json.dumps(body))
    result = cli("apply", str(out))
    assert result.code == 1 and "does not match its own digest" in result.err
    assert writes(sandbox) == 0


def test_saved_plan_takes_no_other_paths_or_options(cli, manifests, tmp_path):
    two(manifests)
    out = tmp_path / "plan.json"
    assert cli("plan", "--out", str(out), str(manifests)).code == 0
    result = cli("apply", "--plan", str(out), "--prune")
    assert result.code == 1 and "a saved plan fixes the paths and options" in result.err


def test_detailed_exit_codes(cli, manifests, monkeypatch):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("plan", "--detailed-exitcode", str(manifests)).code == 2
    assert cli("plan", str(manifests)).code == 0
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert cli("plan", "--detailed-exitcode", str(manifests)).code == 0
    assert cli("plan", "--detailed-exitcode", "--format", "yaml", str(manifests)).code == 1
    monkeypatch.setenv("QC_API_TOKEN", "wrong")
    assert cli("plan", "--detailed-exitcode", str(manifests)).code == 1


def test_json_output_follows_its_schema(cli, sandbox, manifests):
    two(manifests, onStop="liquidate")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    write(
        manifests,
        "b.yaml",
        manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage(), parameters={"z": 1}),
    )
    result = cli("plan", "--format", "json", "--detailed-exitcode", str(manifests))
    assert result.code == 2
    doc = json.loads(result.out)
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "plan-v1.schema.json").read_text()))
    by_name = {c["name"]: c for c in doc["changes"]}
    assert by_name["momentum"]["actions"] == ["delete"] and by_name["momentum"]["stop_mode"] == "liquidate"
    replace = by_name["meanrev"]
    assert replace["actions"] == ["delete", "create"]
    assert replace["change"]["changed_paths"] == [["parameters", "z"]]
    assert ["brokerage", "ib-password"] in replace["change"]["after_sensitive"]
    assert replace["change"]["after"]["brokerage"]["ib-password"] == "(sensitive)"
    assert replace["change"]["before"]["brokerage"]["ib-password"] == "(sensitive)"
    assert doc["unmanaged"][0]["project_id"] == P_PAIRS
    assert doc["summary"] == {
        "create": 0,
        "replace": 1,
        "stop": 0,
        "liquidate": 1,
        "update": 0,
        "replace_liquidating": 0,
        "total": 2,
    }
    assert any("delete" in c["actions"] for c in doc["changes"])
    assert SECRET not in result.out


def test_markdown_output(cli, sandbox, manifests):
    two(manifests)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, state="stopped"))
    write(
        manifests,
        "b.yaml",
        manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage(), parameters={"z": 1}),
    )
    md = cli("plan", "--format", "markdown", str(manifests)).out
    assert md.index("**Plan: 0 to create, 1 to replace, 1 to stop, 0 to liquidate.**") < md.index("[!WARNING]")
    assert "This plan stops 2 running deployment(s)" in md
    assert md.count("<details>") == 2 and md.count("</details>") == 2
    assert (
        '\n!       parameters.z: (none) -> "1"\n' in md and "reason: state: stopped" in md
    )  # diff lines GitHub colours
    assert SECRET not in md


def test_validate_github_and_json_formats(cli, tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: a}\nspec: {project: 1, node: n, brokerage: {id: QuantConnectBrokerage}, state: on}\n"
    )
    gh = cli("validate", "--format", "github", str(tmp_path))
    assert gh.code == 1
    assert f"::error file={bad},line=4,col=" in gh.out and "::spec.state: True is not one of" in gh.out
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert cli("validate", str(tmp_path)).out == gh.out
    js = cli("validate", "--format", "json", str(tmp_path))
    doc = json.loads(js.out)
    assert js.code == 1 and doc["valid"] is False and doc["problems"][0]["line"] == 4
    bad.write_text(bad.read_text().replace("state: on", "state: running"))
    ok = json.loads(cli("validate", "--format", "json", str(tmp_path)).out)
    assert ok == {"valid": True, "manifests": 1, "files": 1, "problems": []}


def test_json_reason_codes_say_why_without_parsing_words(cli, sandbox, manifests):
    """Each reason has a code beside its words: a crash, code edited in the project, a changed field."""
    two(manifests)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("crash", projectId=P_MOMENTUM, error="boom")
    sandbox.admin("touch", projectId=P_MEANREV)
    write(
        manifests,
        "b.yaml",
        manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage(), parameters={"z": 1}),
    )
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    codes = {c["name"]: c["reason_codes"] for c in doc["changes"]}
    assert codes == {"momentum": ["crashed"], "meanrev": ["field-changed", "code-changed"]}
    assert all(len(c["reason_codes"]) == len(c["reasons"]) for c in doc["changes"])
    schema = json.loads(cli("schema", "plan").out)
    from qcdeploy.model import Why

    enum = schema["$defs"]["change"]["properties"]["reason_codes"]["items"]["enum"]
    assert enum == [w.value for w in Why]
