"""Parameters are project variables (qc-api §7): set with projects/update, read back in every shape."""

from __future__ import annotations

import copy
import json

import pytest

from tests.helpers import P_MOMENTUM, SEED, manifest, start_sandbox, write

pytestmark = pytest.mark.usefixtures("env")


def apply(cli, manifests, *extra):
    return cli("apply", "--auto-approve", str(manifests), *extra)


def project(sandbox, pid=P_MOMENTUM):
    with sandbox.server.world.lock:
        return sandbox.server.world.projects[pid]


def test_a_parameter_change_reaches_the_algorithm_through_the_project(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"lookback": 20}))
    assert apply(cli, manifests).code == 0
    assert project(sandbox).parameters == {"lookback": "20"}
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"lookback": 30}))
    plan = cli("plan", str(manifests))
    assert '~ parameters.lookback: "20" -> "30"' in plan.out  # said once: the project's parameter is the field
    assert "project parameters:" not in plan.out
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert doc["changes"][0]["project_parameters"] == [{"key": "lookback", "before": "20", "after": "30"}]
    assert apply(cli, manifests).code == 0
    [running] = sandbox.active(P_MOMENTUM)
    assert running["settings"]["parameters"] == {"lookback": "30"}
    again = cli("plan", "--detailed-exitcode", str(manifests))
    assert again.code == 0 and "No changes." in again.out  # our own projects/update is not a "code change"


def test_outside_edit_is_set_back_without_a_redeploy(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    [before] = sandbox.active(P_MOMENTUM)
    sandbox.admin("set-parameters", projectId=P_MOMENTUM, parameters={"fast": "99"}, touch=False)
    plan = cli("plan", str(manifests))
    assert "~ momentum" in plan.out and "will be updated in place (no redeploy)" in plan.out
    assert "project parameters changed outside qcdeploy" in plan.out
    assert 'project parameters: fast "99" -> "10"' in plan.out
    result = apply(cli, manifests)
    assert result.code == 0, result.text
    assert sandbox.active(P_MOMENTUM) == [before]  # the same deployment, never restarted
    assert project(sandbox).parameters == {"fast": "10"}
    assert "No changes." in cli("plan", str(manifests)).out


def test_outside_edit_that_moves_modified_replaces(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    sandbox.admin("set-parameters", projectId=P_MOMENTUM, parameters={"fast": "99"})
    plan = cli("plan", str(manifests))
    assert "-/+ momentum" in plan.out
    assert "project code changed since compile" in plan.out and "project parameters changed outside" in plan.out
    assert apply(cli, manifests).code == 0
    assert sandbox.active(P_MOMENTUM)[0]["settings"]["parameters"] == {"fast": "10"}


def test_parameters_answered_as_a_dict_of_key_value_objects(cli, manifests, monkeypatch):
    seed = copy.deepcopy(SEED) | {"parametersAsDict": True}
    box = start_sandbox(seed)
    try:
        monkeypatch.setenv("QC_API_URL", box.url)
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10, "slow": 30}))
        assert apply(cli, manifests).code == 0
        answer = box.server.world.projects[P_MOMENTUM].parameters
        assert answer == {"fast": "10", "slow": "30"}
        plan = cli("plan", str(manifests))
        assert "No changes." in plan.out, plan.out
    finally:
        box.server.shutdown()
        box.server.server_close()


def test_lean_version_defaults_to_the_projects_own(cli, sandbox, manifests, ledger_path):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    plan = cli("plan", str(manifests))
    assert "compile: latest, LEAN version: project (17000)" in plan.out
    assert 'versionId: "project (17000)"' in cli("-v", "plan", str(manifests)).out  # -v: every field sent
    assert apply(cli, manifests).code == 0
    assert sandbox.active(P_MOMENTUM)[0]["settings"]["versionId"] == "17000"
    # a ledger written before this default recorded "-1" for an unset versionId: the same manifest, no replace
    doc = json.loads(ledger_path.read_text())
    doc["deployments"]["momentum"]["spec"]["versionId"] = "-1"
    ledger_path.write_text(json.dumps(doc))
    assert "No changes." in cli("plan", str(manifests)).out
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, versionId="-1"))  # master, explicitly
    assert "No changes." in cli("plan", str(manifests)).out
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, versionId="16950"))
    assert apply(cli, manifests).code == 0
    assert sandbox.active(P_MOMENTUM)[0]["settings"]["versionId"] == "16950"


def test_projects_update_goes_form_encoded_as_the_lean_cli_sends_it(cli, manifests, monkeypatch, tmp_path):
    log = tmp_path / "requests.jsonl"
    box = start_sandbox(log=str(log))
    try:
        monkeypatch.setenv("QC_API_URL", box.url)
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10, "slow": 30}))
        assert apply(cli, manifests).code == 0
    finally:
        box.server.shutdown()
        box.server.server_close()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    [update] = [x for x in lines if x["endpoint"] == "projects/update"]
    assert update["contentType"] == "application/x-www-form-urlencoded"
    assert update["body"] == {
        "projectId": str(P_MOMENTUM),
        "parameters[0][key]": "fast",
        "parameters[0][value]": "10",
        "parameters[1][key]": "slow",
        "parameters[1][value]": "30",
    }
    [create] = [x for x in lines if x["endpoint"] == "live/create"]
    assert create["contentType"] == "application/json" and create["body"]["parameters"] == {"fast": "10", "slow": "30"}
    order = [x["endpoint"] for x in lines]
    assert order.index("projects/update") < order.index("live/create")
