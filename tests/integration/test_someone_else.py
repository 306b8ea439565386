"""What someone else does is a decision, not a failure (SPEC §6): a deployment that appears after an unclear
create is ours only if what the API reports of it matches what was sent; a new deployment that a person stops
or liquidates inside its health window is neither healthy nor rolled back."""

from __future__ import annotations

import json

import pytest

from tests.helpers import NODE1, NODE2, P_MOMENTUM, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def test_an_unclear_create_does_not_claim_another_tools_deployment(cli, sandbox, manifests, ledger_path, monkeypatch):
    """live/create answers 502-like (never carried out) while a person deploys the project from the web UI on
    another node with another brokerage: apply says so loudly, records nothing, and the next plan lists it
    as unmanaged instead of "No changes"."""
    monkeypatch.setenv("IB_PASSWORD", "pw-for-the-test")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, node="live-node-1", brokerage=ib_brokerage()))
    by_hand = {"projectId": P_MOMENTUM, "nodeId": NODE2, "settings": {"brokerage": {"id": "QuantConnectBrokerage"}}}
    sandbox.admin("faults", once={"error": {"live/create": 1}}, meanwhile={"live/create": by_hand})
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1, result.text
    assert "ANOTHER TOOL DEPLOYED THIS PROJECT" in result.out
    assert f"on node {NODE2}, not {NODE1}" in result.out and "brokerage PaperBrokerage" in result.out
    assert "qcdeploy adopt momentum" in result.out
    assert sandbox.calls()["live/create"] == 1  # never sent again on top of it
    assert [d["nodeId"] for d in sandbox.deployments(P_MOMENTUM)] == [NODE2]
    assert not ledger_path.exists() or "momentum" not in json.loads(ledger_path.read_text())["deployments"]
    plan = cli("plan", str(manifests))
    assert "Unmanaged deployments" in plan.out and "manifest 'momentum' wants this project" in plan.out, plan.out


def deploy_alpha(cli, manifests, version: str):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": version}))
    return cli("apply", "--auto-approve", "--health-window", "5", str(manifests))


@pytest.mark.parametrize("how", ["Stopped", "Liquidated"])
def test_a_stop_by_someone_else_during_the_health_window_is_not_undone(cli, sandbox, manifests, ledger_path, how):
    """A person stops (or liquidates) the new deployment while apply watches it: the old version is not
    redeployed, nothing is recorded as running, and the next plan shows the stop as made outside qcdeploy."""
    assert deploy_alpha(cli, manifests, "1").code == 0
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0.3, endAs=how, whenParameters={"v": "2"})
    result = deploy_alpha(cli, manifests, "2")
    assert result.code == 1, result.text
    assert "stopped by someone else" in result.out and "ROLLED BACK" not in result.out, result.out
    statuses = [(d["status"], d["settings"]["parameters"]) for d in sandbox.deployments(P_MOMENTUM)]
    assert statuses == [("Stopped", {"v": "1"}), (how, {"v": "2"})]  # the old version was not brought back
    new = sandbox.deployments(P_MOMENTUM)[-1]["deployId"]
    assert json.loads(ledger_path.read_text())["deployments"]["alpha"]["deployId"] == new
    plan = cli("plan", str(manifests))
    assert f"deployment {new} was {how.lower()} outside qcdeploy" in plan.out, plan.out


def test_a_crash_during_the_health_window_is_still_rolled_back(cli, sandbox, manifests):
    assert deploy_alpha(cli, manifests, "1").code == 0
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0.3, whenParameters={"v": "2"})
    result = deploy_alpha(cli, manifests, "2")
    assert result.code == 1 and "ROLLED BACK alpha" in result.out, result.out
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Stopped", "RuntimeError", "Running"]


def test_a_replace_whose_create_is_unclear_while_another_tool_deploys_leaves_theirs_alone(cli, sandbox, manifests):
    """The old deployment is stopped, the create's 5xx was never carried out, and a person deploys by hand:
    qcdeploy neither claims theirs nor stops it to roll back; the ledger no longer names the project."""
    assert deploy_alpha(cli, manifests, "1").code == 0
    by_hand = {"projectId": P_MOMENTUM, "nodeId": NODE2}
    sandbox.admin("faults", once={"error": {"live/create": 1}}, meanwhile={"live/create": by_hand})
    result = deploy_alpha(cli, manifests, "2")
    assert result.code == 1 and "ANOTHER TOOL DEPLOYED THIS PROJECT" in result.out, result.out
    assert "ROLLED BACK" not in result.out and "FLAT" not in result.out
    assert [(d["status"], d["nodeId"]) for d in sandbox.deployments(P_MOMENTUM)] == [
        ("Stopped", NODE1),
        ("Running", NODE2),
    ]
    assert "manifest 'alpha' wants this project" in cli("plan", str(manifests)).out
