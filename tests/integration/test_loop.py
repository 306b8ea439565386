"""The whole loop through the real CLI against the sandbox over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.helpers import NODE1, NODE2, NODE3, P_MEANREV, P_MOMENTUM, P_PAIRS, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def apply(cli, manifests, *extra):
    return cli("apply", "--auto-approve", str(manifests), *extra)


def ledger(path):
    return json.loads(path.read_text())["deployments"]


def test_create_then_no_changes(cli, sandbox, manifests, ledger_path):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    plan = cli("plan", str(manifests))
    assert plan.code == 0, plan.err
    assert "+ momentum" in plan.out
    assert "Plan: 1 to create, 0 to replace, 0 to stop, 0 to liquidate." in plan.out
    assert sandbox.deployments() == []  # plan changes nothing

    result = apply(cli, manifests)
    assert result.code == 0, result.text
    [dep] = sandbox.active(P_MOMENTUM)
    assert dep["status"] == "Running" and dep["nodeId"] == NODE1
    assert dep["settings"]["parameters"] == {"fast": "10"}
    assert ledger(ledger_path)["momentum"]["deployId"] == dep["deployId"]

    again = cli("plan", "--detailed-exitcode", str(manifests))
    assert again.code == 0
    assert "No changes." in again.out


def test_replace_on_parameter_change(cli, sandbox, manifests, ledger_path):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert apply(cli, manifests).code == 0
    [old] = sandbox.active(P_MOMENTUM)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 12}))

    plan = cli("plan", "--detailed-exitcode", str(manifests))
    assert plan.code == 2
    assert "-/+ momentum" in plan.out
    assert "reason: parameters changed" in plan.out
    assert '~ parameters.fast: "10" -> "12"' in plan.out
    assert "Plan: 0 to create, 1 to replace, 0 to stop, 0 to liquidate." in plan.out

    assert apply(cli, manifests).code == 0
    deps = sandbox.deployments(P_MOMENTUM)
    assert [d["status"] for d in deps] == ["Stopped", "Running"]
    assert deps[0]["deployId"] == old["deployId"]
    assert deps[1]["settings"]["parameters"] == {"fast": "12"}
    assert ledger(ledger_path)["momentum"]["deployId"] == deps[1]["deployId"]
    assert "No changes." in cli("plan", str(manifests)).out


def test_replace_on_node_change(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, node="live-node-1"))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, node=NODE2))  # by id this time
    plan = cli("plan", str(manifests))
    assert "reason: nodeId changed" in plan.out
    assert apply(cli, manifests).code == 0
    [dep] = sandbox.active(P_MOMENTUM)
    assert dep["nodeId"] == NODE2


def test_node_named_by_id_or_name_is_the_same(cli, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, node="live-node-1"))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", "Live/Momentum", node=NODE1))
    assert "No changes." in cli("plan", str(manifests)).out


def test_replace_when_code_changed_under_latest(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    sandbox.admin("touch", projectId=P_MOMENTUM)
    plan = cli("plan", str(manifests))
    assert "-/+ momentum" in plan.out
    assert "project code changed since compile" in plan.out
    assert apply(cli, manifests).code == 0
    assert len(sandbox.deployments(P_MOMENTUM)) == 2
    assert "No changes." in cli("plan", str(manifests)).out


def test_pinned_compile_ignores_code_changes(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    [dep] = sandbox.active(P_MOMENTUM)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, compile=dep["compileId"]))
    plan = cli("plan", str(manifests))
    assert "reason: compile changed" in plan.out  # latest -> pinned is a change of spec
    assert apply(cli, manifests).code == 0
    sandbox.admin("touch", projectId=P_MOMENTUM)
    assert "No changes." in cli("plan", str(manifests)).out


def test_stop(cli, sandbox, manifests, ledger_path):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, state="stopped"))
    plan = cli("plan", str(manifests))
    assert "  - momentum" in plan.out and "positions kept" in plan.out
    assert "Plan: 0 to create, 0 to replace, 1 to stop, 0 to liquidate." in plan.out
    assert apply(cli, manifests).code == 0
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Stopped"]
    assert "momentum" not in ledger(ledger_path)
    assert "No changes." in cli("plan", str(manifests)).out


def test_liquidate(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate"))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    plan = cli("plan", str(manifests))
    assert "-$ momentum" in plan.out
    assert "Plan: 0 to create, 0 to replace, 0 to stop, 1 to liquidate." in plan.out
    assert apply(cli, manifests).code == 0
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Liquidated"]


def test_recreate_after_runtime_error(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: division by zero")
    plan = cli("plan", str(manifests))
    assert "+ momentum" in plan.out
    assert "RuntimeError: Runtime Error: division by zero" in plan.out
    status = cli("status", str(manifests))
    assert "Degraded" in status.out
    assert apply(cli, manifests).code == 0
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["RuntimeError", "Running"]
    assert "Healthy" in cli("status", str(manifests)).out


def test_stopped_outside_qcdeploy_is_recreated(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    sandbox.admin("stop", projectId=P_MOMENTUM, settled=True)
    plan = cli("plan", str(manifests))
    assert "was stopped outside qcdeploy" in plan.out


def test_protected_deployment_is_not_touched(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, protect=True))
    assert apply(cli, manifests).code == 0
    [before] = sandbox.active(P_MOMENTUM)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, protect=True, parameters={"x": 1}))
    plan = cli("plan", str(manifests))
    assert "protected: apply refuses" in plan.out
    refused = apply(cli, manifests)
    assert refused.code == 1
    assert "it would stop or replace protected deployment(s) momentum" in refused.err
    assert sandbox.active(P_MOMENTUM) == [before]
    assert apply(cli, manifests, "--allow-protected").code == 0
    assert sandbox.active(P_MOMENTUM)[0]["deployId"] != before["deployId"]


def test_prune(cli, sandbox, manifests):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert apply(cli, manifests).code == 0
    (manifests / "b.yaml").unlink()

    plan = cli("plan", str(manifests))
    assert "Orphaned deployments" in plan.out and "meanrev" in plan.out
    assert "No changes." in plan.out
    assert apply(cli, manifests).code == 0
    assert len(sandbox.active(P_MEANREV)) == 1  # not without --prune

    pruned = cli("plan", "--prune", str(manifests))
    assert "  - meanrev" in pruned.out and "manifest removed (--prune)" in pruned.out
    assert apply(cli, manifests, "--prune").code == 0
    assert sandbox.active(P_MEANREV) == []
    assert len(sandbox.active(P_MOMENTUM)) == 1


def test_unmanaged_deployment_left_alone(cli, sandbox, manifests):
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    plan = cli("plan", str(manifests))
    assert "Unmanaged deployments" in plan.out and '"Live/Pairs"' in plan.out
    assert apply(cli, manifests, "--prune").code == 0
    assert len(sandbox.active(P_PAIRS)) == 1


def test_unmanaged_with_manifest_then_adopt(cli, sandbox, manifests, ledger_path):
    hand = sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1)["deployId"]
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    plan = cli("plan", str(manifests))
    assert "qcdeploy adopt momentum" in plan.out and "--replace momentum" in plan.out
    assert "No changes." in plan.out
    assert apply(cli, manifests).code == 0
    assert [d["deployId"] for d in sandbox.active(P_MOMENTUM)] == [hand]

    adopted = cli("adopt", str(manifests), "momentum")
    assert adopted.code == 0, adopted.err
    assert ledger(ledger_path)["momentum"]["deployId"] == hand
    assert "No changes." in cli("plan", str(manifests)).out
    assert "Unmanaged" not in cli("plan", str(manifests)).out


def test_replace_flag_redeploys_unmanaged(cli, sandbox, manifests):
    hand = sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1)["deployId"]
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    plan = cli("plan", "--replace", "momentum", str(manifests))
    assert "-/+ momentum" in plan.out and "not started by qcdeploy" in plan.out
    assert apply(cli, manifests, "--replace", "momentum").code == 0
    deps = sandbox.deployments(P_MOMENTUM)
    assert [(d["deployId"] == hand, d["status"]) for d in deps] == [(True, "Stopped"), (False, "Running")]


def test_desired_stopped_unmanaged_is_stopped_and_said(cli, sandbox, manifests):
    sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, state="stopped"))
    plan = cli("plan", str(manifests))
    assert "not made by qcdeploy" in plan.out
    assert apply(cli, manifests).code == 0
    assert sandbox.active(P_MOMENTUM) == []


def test_target_limits_the_plan(cli, sandbox, manifests):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    plan = cli("plan", "--target", "meanrev", str(manifests))
    assert "+ meanrev" in plan.out and "momentum" not in plan.out
    assert "Targeting is in effect" in plan.out
    assert cli("apply", "--auto-approve", str(manifests), "meanrev").code == 0  # a bare name targets too
    assert sandbox.active(P_MOMENTUM) == [] and len(sandbox.active(P_MEANREV)) == 1


def test_build_error_fails_that_deployment_only(cli, sandbox, manifests):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert apply(cli, manifests).code == 0
    [running] = sandbox.active(P_MOMENTUM)
    sandbox.admin("break-build", projectId=P_MOMENTUM, error="main.py:3 invalid syntax")
    sandbox.admin("touch", projectId=P_MOMENTUM)
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2", parameters={"z": 2}))
    result = apply(cli, manifests)  # two replaces keep both strategies running: not an "empty" apply
    assert result.code == 1
    assert "BuildError" in result.out and "main.py:3 invalid syntax" in result.out
    assert "nothing was stopped" in result.out
    assert sandbox.active(P_MOMENTUM) == [running]  # the old one keeps trading
    assert sandbox.active(P_MEANREV)[0]["settings"]["parameters"] == {"z": "2"}
    assert "1 done, 0 rolled back, 1 failed" in result.out
    assert "Fix the causes above (a re-run alone would fail the same way)" in result.out


def test_busy_node_blocks_create_without_stopping_anything(cli, sandbox, manifests):
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE1)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, node="live-node-1"))
    plan = cli("plan", str(manifests))
    assert "blocked: node live-node-1 is busy" in plan.out
    result = apply(cli, manifests)
    assert result.code == 1
    assert sandbox.active(P_MOMENTUM) == []


def test_project_moved_stops_old_and_creates_new(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_PAIRS))
    plan = cli("plan", str(manifests))
    assert f"project changed from {P_MOMENTUM} to {P_PAIRS}" in plan.out
    assert apply(cli, manifests).code == 0
    assert sandbox.active(P_MOMENTUM) == [] and len(sandbox.active(P_PAIRS)) == 1


def test_protect_change_is_a_ledger_update(cli, sandbox, manifests, ledger_path):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert apply(cli, manifests).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, protect=True))
    plan = cli("plan", str(manifests))
    assert "~ momentum" in plan.out and "1 to update in place" in plan.out
    assert "~ protect: false -> true" in plan.out
    assert apply(cli, manifests).code == 0
    assert ledger(ledger_path)["momentum"]["protect"] is True
    assert len(sandbox.deployments(P_MOMENTUM)) == 1


def test_plan_makes_three_api_calls(cli, sandbox, manifests):
    for i in range(3):
        write(
            manifests, f"m{i}.yaml", manifest(f"d{i}", [P_MOMENTUM, P_MEANREV, P_PAIRS][i], node=f"live-node-{i + 1}")
        )
    before = sum(sandbox.calls().values())
    assert cli("plan", str(manifests)).code == 0
    assert sum(sandbox.calls().values()) - before == 3


def test_no_wait_returns_after_create(cli, sandbox, manifests, ledger_path):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = apply(cli, manifests, "--no-wait")
    assert result.code == 0 and "not waiting" in result.out
    assert "momentum" in ledger(ledger_path)


def test_deploy_error_is_reported_and_recorded(cli, sandbox, manifests, ledger_path):
    sandbox.server.world.projects[P_MOMENTUM].deployError = "Brokerage login failed"
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = apply(cli, manifests)
    assert result.code == 1
    assert "ended in DeployError: Brokerage login failed" in result.out
    assert "momentum" in ledger(ledger_path)
    assert "ended in DeployError" in cli("plan", str(manifests)).out


def test_second_apply_finishes_the_job(cli, sandbox, manifests):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    sandbox.admin("break-build", projectId=P_MEANREV)
    assert apply(cli, manifests).code == 1
    sandbox.server.world.projects[P_MEANREV].buildError = ""
    second = apply(cli, manifests)
    assert second.code == 0
    assert "Plan: 1 to create" in second.out
    assert len(sandbox.active(P_MOMENTUM)) == 1 and len(sandbox.active(P_MEANREV)) == 1
