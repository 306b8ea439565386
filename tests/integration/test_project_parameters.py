"""Parameters are project variables (qc-api §7): set with projects/update, read back in every shape."""

from __future__ import annotations

import copy
import json
import time

import pytest
import requests

from qcdeploy.config import Credentials
from qcdeploy.quantconnect.transport import auth_headers
from tests.helpers import API_TOKEN, P_MOMENTUM, SEED, USER_ID, manifest, start_sandbox, write

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


def test_outside_edit_that_moves_modified_is_still_an_update_in_place(cli, sandbox, manifests, ledger_path):
    """A web-UI parameter edit that moves `modified`: the files are read (once) and are the code that was
    compiled, so the running strategy is not restarted (issue 24 item 7)."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    assert json.loads(ledger_path.read_text())["deployments"]["momentum"]["codeHash"].startswith("sha256:")
    [before] = sandbox.active(P_MOMENTUM)
    sandbox.admin("set-parameters", projectId=P_MOMENTUM, parameters={"fast": "99"})  # moves modified
    reads = sandbox.calls().get("files/read", 0)
    plan = cli("plan", str(manifests))
    assert "~ momentum" in plan.out and "project code changed" not in plan.out, plan.out
    assert sandbox.calls()["files/read"] == reads + 1
    assert apply(cli, manifests).code == 0
    assert sandbox.active(P_MOMENTUM) == [before]  # never restarted
    assert project(sandbox).parameters == {"fast": "10"}
    reads = sandbox.calls()["files/read"]
    assert "No changes." in cli("plan", str(manifests)).out
    assert sandbox.calls()["files/read"] == reads  # modified recorded again: nothing moved, nothing read


def test_a_file_edit_is_a_code_change(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    sandbox.admin("touch", projectId=P_MOMENTUM)  # main.py edited in the web IDE
    plan = cli("plan", str(manifests))
    assert "-/+ momentum" in plan.out and "project code changed since compile" in plan.out
    assert apply(cli, manifests).code == 0
    assert "No changes." in cli("plan", str(manifests)).out


def test_a_ledger_without_a_code_hash_falls_back_on_modified(cli, sandbox, manifests, ledger_path):
    """Entries written before the hash was recorded: a moved `modified` is a code change, as it was (safe)."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    doc = json.loads(ledger_path.read_text())
    del doc["deployments"]["momentum"]["codeHash"]
    ledger_path.write_text(json.dumps(doc))
    sandbox.admin("set-parameters", projectId=P_MOMENTUM, parameters={"fast": "99"})
    reads = sandbox.calls().get("files/read", 0)
    plan = cli("plan", str(manifests))
    assert "-/+ momentum" in plan.out and "project code changed since compile" in plan.out
    assert sandbox.calls().get("files/read", 0) == reads  # nothing to compare with: not read


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
    sandbox.admin("lean-version", id=16950)  # a pinned version must be one lean/versions/read lists
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
        "name": "Live/Momentum",  # the project's current name, as the lean CLI sends it (Documentation#2112)
        "parameters[0][key]": "fast",
        "parameters[0][value]": "10",
        "parameters[1][key]": "slow",
        "parameters[1][value]": "30",
    }
    [create] = [x for x in lines if x["endpoint"] == "live/create"]
    assert create["contentType"] == "application/json" and create["body"]["parameters"] == {"fast": "10", "slow": "30"}
    order = [x["endpoint"] for x in lines]
    assert order.index("projects/update") < order.index("live/create")


def _logged(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_a_replace_sets_parameters_before_its_stop(cli, manifests, monkeypatch, tmp_path):
    log = tmp_path / "requests.jsonl"
    box = start_sandbox(log=str(log))
    try:
        monkeypatch.setenv("QC_API_URL", box.url)
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
        assert apply(cli, manifests).code == 0
        log.write_text("")
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 20}))
        result = apply(cli, manifests)
        assert result.code == 0, result.text
        assert box.server.world.projects[P_MOMENTUM].parameters == {"fast": "20"}
    finally:
        box.server.shutdown()
        box.server.server_close()
    order = [x["endpoint"] for x in _logged(log)]
    assert order.count("projects/update") == 1  # set once, before the stop; the create finds them set
    assert order.index("projects/update") < order.index("live/update/stop") < order.index("live/create")


def test_a_refused_parameter_update_stops_nothing(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    [before] = sandbox.active(P_MOMENTUM)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 20}))
    sandbox.admin("faults", once={"echo": {"projects/update": 1}})  # success:false, as a refused update answers
    result = apply(cli, manifests)
    assert result.code == 1
    assert "the project's parameters could not be set" in result.text and "nothing was stopped" in result.text
    assert sandbox.active(P_MOMENTUM) == [before]
    assert "live/update/stop" not in sandbox.calls()
    assert project(sandbox).parameters == {"fast": "10"}


def test_parameters_are_set_back_when_the_stop_does_not_happen(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    [before] = sandbox.active(P_MOMENTUM)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 20}))
    sandbox.admin("faults", once={"echo": {"live/update/stop": 1}})  # the stop is refused; it still runs
    result = apply(cli, manifests)
    assert result.code == 1
    assert sandbox.active(P_MOMENTUM) == [before]
    assert project(sandbox).parameters == {"fast": "10"}  # what the running deployment started with
    assert sandbox.calls()["projects/update"] == 3  # first apply, set before the stop, set back


def test_projects_update_without_a_name_is_refused_by_the_sandbox(sandbox):
    """Documentation#2112: QuantConnect means to require `name`; the sandbox takes the strict reading."""
    headers = auth_headers(Credentials(USER_ID, API_TOKEN, ""), time.time())
    answer = requests.post(
        sandbox.url + "projects/update", data={"projectId": str(P_MOMENTUM), "parameters": ""}, headers=headers
    ).json()
    assert answer == {"success": False, "errors": ["name is required"]}


def test_a_replace_whose_build_fails_never_touches_the_parameters(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    updates = sandbox.calls()["projects/update"]
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 20}))
    sandbox.admin("break-build", projectId=P_MOMENTUM)
    assert apply(cli, manifests).code == 1
    assert project(sandbox).parameters == {"fast": "10"} and sandbox.calls()["projects/update"] == updates


def test_a_replace_creates_without_reading_the_project_again_after_its_stop(cli, sandbox, manifests, monkeypatch):
    """The parameters were set before the stop: once the strategy is down, nothing but live/create stands
    between it and its successor (a projects/read that fails then would have rolled the replace back)."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 20}))
    monkeypatch.setenv("QCDEPLOY_RETRIES", "0")
    sandbox.admin("faults", once={"error": {"projects/read": 10}}, armedBy="live/update/stop")
    result = apply(cli, manifests)
    assert result.code == 0, result.text
    [running] = sandbox.active(P_MOMENTUM)
    assert running["settings"]["parameters"] == {"fast": "20"} and "rolling back" not in result.text
