"""How a replace ends the old deployment is spec.onReplace (default stop: the new deployment takes over the
positions), not onStop (how the strategy ends); every liquidation, a replace's included, is counted and held to
--max-liquidation-value; a project move reads the portfolio of the project whose deployment is stopped."""

from __future__ import annotations

import json

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")
SPY = "SPY R735QTJ8XC9X"
HOLDINGS = {SPY: {"a": 100.0, "q": 500, "p": 100.0, "v": 50000.0, "u": 0.0, "c": "$"}}
CASH = {"USD": {"symbol": "USD", "amount": 1000.0}}


def traded(cli, sandbox, manifests, **spec):
    """A deployment applied with fast=10, holding $50,000 of SPY."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}, **spec))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=HOLDINGS, cash=CASH)


def test_a_parameter_change_with_onstop_liquidate_keeps_the_book(cli, sandbox, manifests):
    traded(cli, sandbox, manifests, onStop="liquidate")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", parameters={"fast": 12}))
    plan = cli("plan", str(manifests)).out
    assert "onReplace: stop (positions kept: the new deployment takes them over)" in plan
    assert "Plan: 0 to create, 1 to replace, 0 to stop, 0 to liquidate." in plan
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert doc["changes"][0]["stop_mode"] == "stop" and doc["summary"]["replace_liquidating"] == 0
    done = cli("apply", "--auto-approve", "--max-liquidation-value", "0", str(manifests))
    assert done.code == 0, done.text
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Stopped", "Running"]
    assert sandbox.calls().get("live/update/liquidate", 0) == 0 and "liquidated first" not in done.out


def test_onreplace_liquidate_liquidates_is_counted_and_held_to_the_limit(cli, sandbox, manifests):
    traded(cli, sandbox, manifests, onReplace="liquidate")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onReplace="liquidate", parameters={"fast": 12}))
    plan = cli("plan", str(manifests)).out
    assert "onReplace: liquidate (everything sold before the new deployment starts)" in plan
    assert "Plan: 0 to create, 1 to replace (1 liquidating), 0 to stop, 0 to liquidate." in plan
    assert "at stake: 1 holding(s) worth 50,000.00" in plan
    md = cli("plan", "--format", "markdown", str(manifests)).out
    assert "**Plan: 0 to create, 1 to replace (1 liquidating), 0 to stop, 0 to liquidate.**" in md
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert doc["changes"][0]["stop_mode"] == "liquidate" and doc["summary"]["replace_liquidating"] == 1
    refused = cli("apply", "--auto-approve", "--max-liquidation-value", "1000", str(manifests))
    assert refused.code == 1
    assert "it would liquidate holdings worth 50,000.00, more than --max-liquidation-value 1,000.00" in refused.err
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Running"]
    done = cli("apply", "--auto-approve", "--max-liquidation-value", "60000", str(manifests))
    assert done.code == 0, done.text
    old, new = sandbox.deployments(P_MOMENTUM)
    assert (old["status"], new["status"]) == ("Liquidated", "Running")
    assert f"liquidated first: {old['deployId']} (onReplace: liquidate)" in done.out  # what was sold, said after


def test_a_project_move_shows_the_old_projects_holdings_and_the_limit_refuses_on_them(cli, sandbox, manifests):
    traded(cli, sandbox, manifests, onReplace="liquidate")
    write(manifests, "m.yaml", manifest("momentum", P_MEANREV, onReplace="liquidate", parameters={"fast": 10}))
    plan = cli("plan", str(manifests)).out
    assert "reason: project changed from" in plan
    assert "at stake: 1 holding(s) worth 50,000.00" in plan and "exposure unknown" not in plan
    refused = cli("apply", "--auto-approve", "--max-liquidation-value", "1000", str(manifests))
    assert refused.code == 1
    assert "it would liquidate holdings worth 50,000.00" in refused.err and "could not be read" not in refused.err
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Running"]
    assert sandbox.deployments(P_MEANREV) == []


def test_a_project_move_of_a_paper_deployment_carries_the_old_projects_portfolio(cli, sandbox, manifests):
    """The plan's read is what the carry falls back on when the read just before the stop fails."""
    traded(cli, sandbox, manifests)
    write(manifests, "m.yaml", manifest("momentum", P_MEANREV, parameters={"fast": 10}))
    # every portfolio read after the plan's (compiles start after planning) fails
    sandbox.admin("faults", once={"error": {"live/portfolio/read": 100}}, armedBy="compile/create")
    done = cli("apply", "--auto-approve", str(manifests))
    assert done.code == 0, done.text
    assert "carrying the portfolio the plan read" in done.out
    [new] = sandbox.active(P_MEANREV)
    assert new["settings"]["brokerage"]["holdings"] == [
        {"symbolId": SPY, "symbol": "SPY", "quantity": 500.0, "averagePrice": 100.0}
    ]
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Stopped"]


def test_a_holding_worth_nan_is_unknown_and_the_limit_refuses(cli, sandbox, manifests):
    traded(cli, sandbox, manifests, onStop="liquidate")
    nan = {SPY: {"a": 100.0, "q": 5000, "p": float("nan"), "v": float("nan")}}
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=nan, cash=CASH)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    plan = cli("plan", str(manifests)).out
    assert "exposure unknown" in plan and "not a finite number" in plan and "worth nan" not in plan
    refused = cli("apply", "--auto-approve", "--max-liquidation-value", "1000", str(manifests))
    assert refused.code == 1 and "could not be read, so its liquidation cannot be shown" in refused.err
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Running"]


def test_limits_of_zero_refuse_a_plan_with_one_stop_or_one_liquidation(cli, sandbox, manifests):
    traded(cli, sandbox, manifests, onStop="liquidate")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    stops = cli("apply", "--auto-approve", "--max-stops", "0", str(manifests))
    assert stops.code == 1 and "more than --max-stops 0" in stops.err
    sells = cli("apply", "--auto-approve", "--max-liquidation-value", "0", str(manifests))
    assert sells.code == 1 and "more than --max-liquidation-value 0.00" in sells.err
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Running"]
