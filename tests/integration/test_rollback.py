"""Rollback of a replace whose new deployment does not come up: a stuck deployment is stopped and what ran
before comes back; a paper portfolio goes back with it; after a lost answer the rollback's create never takes
the failed new deployment for its own."""

from __future__ import annotations

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")
SPY = "SPY R735QTJ8XC9X"
HOLDINGS = {SPY: {"a": 400.0, "q": 10, "p": 450.0, "v": 4500.0, "u": 500.0}}
CASH = {"USD": {"symbol": "USD", "amount": 1000.0}}


def version(manifests, v):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"v": v}))


def apply(cli, manifests, *extra):
    return cli("apply", "--auto-approve", str(manifests), *extra)


def history(sandbox):
    return [(d["status"], d["settings"]["parameters"]) for d in sandbox.deployments(P_MOMENTUM)]


def test_a_new_deployment_stuck_before_running_is_stopped_and_rolled_back(cli, sandbox, manifests):
    version(manifests, 1)
    assert apply(cli, manifests).code == 0
    version(manifests, 2)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, stuck=True, whenParameters={"v": "2"})
    result = apply(cli, manifests, "--timeout", "3")
    assert result.code == 1
    assert "still LoggingIn after 3s" in result.out and "ROLLED BACK momentum" in result.out, result.out
    assert history(sandbox) == [("Stopped", {"v": "1"}), ("Stopped", {"v": "2"}), ("Running", {"v": "1"})]


def test_a_rolled_back_paper_replace_gets_its_portfolio_back(cli, sandbox, manifests):
    version(manifests, 1)
    assert apply(cli, manifests).code == 0
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=HOLDINGS, cash=CASH)
    version(manifests, 2)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: no data", whenParameters={"v": "2"})
    result = apply(cli, manifests)
    assert result.code == 1 and "ROLLED BACK momentum" in result.out, result.out
    [back] = sandbox.active(P_MOMENTUM)
    assert back["settings"]["parameters"] == {"v": "1"}
    assert back["settings"]["brokerage"]["holdings"] == [
        {"symbolId": SPY, "symbol": "SPY", "quantity": 10.0, "averagePrice": 400.0}
    ]
    assert back["portfolio"]["cash"]["USD"]["amount"] == 1000


def test_a_rollback_whose_create_answer_is_lost_does_not_take_the_failed_deployment_for_its_own(
    cli, sandbox, manifests
):
    version(manifests, 1)
    assert apply(cli, manifests).code == 0
    version(manifests, 2)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: no data", whenParameters={"v": "2"})
    # the new deployment's create arms the fault: the rollback's create is dropped before the API sees it
    sandbox.admin("faults", once={"drop": {"live/create": 1}}, armedBy="live/create")
    result = apply(cli, manifests)
    assert result.code == 1 and "ROLLED BACK momentum" in result.out, result.out
    assert "FLAT" not in result.out
    assert history(sandbox) == [("Stopped", {"v": "1"}), ("DeployError", {"v": "2"}), ("Running", {"v": "1"})]


def test_after_a_rollback_the_ledger_knows_the_projects_code_as_it_is(cli, sandbox, manifests):
    """The rollback sets the parameters back (which moves the project's `modified`) and records that moment: the
    next plan names only the wanted change, and a later edit of the code is still seen."""
    version(manifests, 1)
    assert apply(cli, manifests).code == 0
    version(manifests, 2)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: no data", whenParameters={"v": "2"})
    assert "ROLLED BACK momentum" in apply(cli, manifests).out
    plan = cli("plan", str(manifests)).out
    assert "reason: parameters changed" in plan and "project code changed" not in plan, plan
    sandbox.admin("touch", projectId=P_MOMENTUM)
    assert "project code changed since compile" in cli("plan", str(manifests)).out
