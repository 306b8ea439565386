"""Plans show what a stop, liquidation or replace puts at stake: the deployment's holdings, cash and
unrealized profit from live/portfolio/read, in text, Markdown and JSON; an unreadable portfolio is unknown,
never empty; --max-liquidation-value refuses an apply that would sell more."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")
ROOT = Path(__file__).resolve().parents[2]
SPY = "SPY R735QTJ8XC9X"
HOLDINGS = {SPY: {"a": 400.0, "q": 10, "p": 450.0, "v": 4500.0, "u": 500.0, "up": 0.125, "c": "$"}}
CASH = {"USD": {"symbol": "USD", "amount": 1000.0, "conversionRate": 1.0, "currencySymbol": "$"}}


def running_with_portfolio(cli, sandbox, manifests, holdings=HOLDINGS, **spec):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", **spec))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=holdings, cash=CASH)


def test_a_liquidation_shows_its_holdings_in_text_markdown_and_json(cli, sandbox, manifests):
    running_with_portfolio(cli, sandbox, manifests)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    before = sandbox.calls().get("live/portfolio/read", 0)
    text = cli("plan", str(manifests))
    assert "at stake: 1 holding(s) worth 4,500.00, unrealized +500.00; cash USD 1,000.00" in text.out
    assert f"{SPY}: 10 @ 400.00, value 4,500.00, unrealized +500.00" in text.out
    assert sandbox.calls()["live/portfolio/read"] == before + 1  # one read for the one deployment at stake
    md = cli("plan", "--format", "markdown", str(manifests)).out
    banner = md[md.index("[!WARNING]") : md.index("<details>")]
    assert "**At stake:** 1 holding(s) worth 4,500.00" in banner
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "plan-v1.schema.json").read_text()))
    [change] = doc["changes"]
    assert change["exposure"] == {
        "known": True,
        "holdings": [{"symbol": SPY, "quantity": 10, "averagePrice": 400, "marketValue": 4500, "unrealized": 500}],
        "cash": {"USD": 1000},
        "marketValue": 4500,
        "unrealized": 500,
    }


def test_long_holding_names_are_read_too(cli, sandbox, manifests):
    long = {SPY: {"AveragePrice": 400, "Quantity": -5, "MarketPrice": 450, "MarketValue": -2250, "UnrealizedPnL": -250}}
    running_with_portfolio(cli, sandbox, manifests, holdings=long)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    exposure = doc["changes"][0]["exposure"]
    assert exposure["holdings"][0]["quantity"] == -5 and exposure["marketValue"] == 2250  # a short is at stake too
    assert exposure["unrealized"] == -250


def test_only_deployments_at_stake_are_read(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("plan", "--format", "json", str(manifests))
    assert json.loads(result.out)["changes"][0]["exposure"] is None
    assert sandbox.calls().get("live/portfolio/read", 0) == 0


def test_an_unreadable_portfolio_is_unknown_and_never_under_a_limit(cli, sandbox, manifests):
    running_with_portfolio(cli, sandbox, manifests)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    sandbox.admin("faults", once={"error": {"live/portfolio/read": 100}})
    text = cli("plan", str(manifests)).out
    assert "at stake: exposure unknown (the portfolio could not be read" in text
    assert "no holdings" not in text
    md = cli("plan", "--format", "markdown", str(manifests)).out
    assert ":warning: **exposure unknown" in md
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert doc["changes"][0]["exposure"]["known"] is False
    refused = cli("apply", "--auto-approve", "--max-liquidation-value", "1000000", str(manifests))
    assert refused.code == 1 and "could not be read, so its liquidation cannot be shown" in refused.err
    assert len(sandbox.active(P_MOMENTUM)) == 1  # nothing was stopped


def test_max_liquidation_value_refuses_more_and_allows_less(cli, sandbox, manifests):
    running_with_portfolio(cli, sandbox, manifests)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, onStop="liquidate", state="stopped"))
    refused = cli("apply", "--auto-approve", "--max-liquidation-value", "4000", str(manifests))
    assert refused.code == 1
    assert "it would liquidate holdings worth 4,500.00, more than --max-liquidation-value 4,000.00" in refused.err
    assert len(sandbox.active(P_MOMENTUM)) == 1
    done = cli("apply", "--auto-approve", "--max-liquidation-value", "5000", str(manifests))
    assert done.code == 0 and sandbox.active(P_MOMENTUM) == []
    assert sandbox.deployments(P_MOMENTUM)[-1]["status"] == "Liquidated"


def test_a_stop_that_keeps_positions_shows_them_but_is_not_a_liquidation(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM), manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=HOLDINGS, cash=CASH)
    write(
        manifests,
        "m.yaml",
        manifest("momentum", P_MOMENTUM, state="stopped"),
        manifest("meanrev", P_MEANREV, node="live-node-2"),
    )
    assert "at stake: 1 holding(s) worth 4,500.00" in cli("plan", str(manifests)).out
    assert cli("apply", "--auto-approve", "--max-liquidation-value", "0", str(manifests)).code == 0
    assert sandbox.deployments(P_MOMENTUM)[-1]["status"] == "Stopped"


def test_a_paper_replace_keeps_its_cash_and_holdings(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=HOLDINGS, cash=CASH)  # it traded
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 12}))
    plan = cli("plan", str(manifests))
    assert "paper portfolio: carried into the new deployment" in plan.out
    doc = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert doc["changes"][0]["paper_portfolio"] == "carried"
    applied = cli("apply", "--auto-approve", str(manifests))
    assert applied.code == 0 and "carrying the paper portfolio: 1 holding(s) worth 4,500.00" in applied.out
    assert "cash USD 1,000.00" in applied.out and "{" not in applied.out.split("carrying the paper portfolio")[1][:80]
    new = sandbox.active(P_MOMENTUM)[0]
    assert new["settings"]["brokerage"]["cash"] == [{"amount": 1000.0, "currency": "USD"}]
    assert new["settings"]["brokerage"]["holdings"] == [
        {"symbolId": SPY, "symbol": "SPY", "quantity": 10.0, "averagePrice": 400.0}
    ]
    assert new["portfolio"]["holdings"][SPY]["q"] == 10 and new["portfolio"]["cash"]["USD"]["amount"] == 1000
    assert cli("plan", "--detailed-exitcode", str(manifests)).code == 0  # carrying it is not a change to undo


def test_a_paper_replace_with_its_own_cash_starts_from_the_manifest(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("set-portfolio", projectId=P_MOMENTUM, holdings=HOLDINGS, cash=CASH)
    own = {"id": "QuantConnectBrokerage", "cash": [{"amount": 50000, "currency": "USD"}]}
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, brokerage=own, parameters={"fast": 12}))
    assert (
        "paper portfolio: the new deployment starts from the manifest's cash/holdings"
        in cli("plan", str(manifests)).out
    )
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    new = sandbox.active(P_MOMENTUM)[0]
    assert new["portfolio"] == {"holdings": {}, "cash": {"USD": {"symbol": "USD", "amount": 50000.0}}}


def test_a_paper_portfolio_that_cannot_be_read_stops_nothing(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    old = sandbox.active(P_MOMENTUM)[0]["deployId"]
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 12}))
    sandbox.admin("faults", once={"error": {"live/portfolio/read": 100}})
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "the paper portfolio to carry into the new deployment is unknown" in result.out
    assert "nothing was stopped" in result.out
    assert [d["deployId"] for d in sandbox.active(P_MOMENTUM)] == [old]
