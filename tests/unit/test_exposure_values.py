"""What the plan puts at stake: which portfolios with_exposure reads (the stopped deployment's project, only for
active deployments a change stops), which change each lands on, and how each LEAN value is read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from qcdeploy.errors import ApiError
from qcdeploy.model import Action, Exposure, Holding, Plan
from qcdeploy.planning.exposure import create_settings, portfolio, with_exposure
from tests.builders import change, desired, live


class Portfolios:
    """live/portfolio/read by project: a holding worth the project id, or an ApiError for `failing`."""

    def __init__(self, failing: int | None = None) -> None:
        self.read: list[int] = []
        self.failing = failing

    def live_portfolio(self, project_id: int) -> dict[str, Any]:
        self.read.append(project_id)
        if project_id == self.failing:
            raise ApiError("live/portfolio/read: HTTP 500")
        return {"portfolio": {"holdings": {f"P{project_id}": {"q": 1, "v": project_id}}, "cash": {}}}


def worth(c: Any) -> float | str:
    return "none" if c.exposure is None else c.exposure.unknown or c.exposure.market_value


def test_only_active_deployments_a_change_stops_are_read_and_each_lands_on_its_change():
    moved = change(Action.REPLACE, "moved", desired=desired("moved", pid=9), observed=live(3, "L-3"))
    plan = Plan(
        (
            change(Action.CREATE, "new", desired=desired("new", pid=4)),
            change(Action.STOP, "stop", observed=live(5, "L-5")),
            moved,
            change(Action.STOP, "done", observed=live(6, "L-6", status="Stopped")),
            change(Action.LIQUIDATE, "sell", observed=live(7, "L-7", status="Initializing")),
        )
    )
    api = Portfolios()
    found = with_exposure(api, plan)  # type: ignore[arg-type]
    assert sorted(api.read) == [3, 5, 7]  # a project move: the old project's portfolio, not the new one's
    assert [worth(c) for c in found.changes] == ["none", 5.0, 3.0, "none", 7.0]


def test_a_portfolio_that_cannot_be_read_is_unknown_and_the_others_are_still_read():
    plan = Plan((change(Action.STOP, "a", observed=live(1, "L-1")), change(Action.STOP, "b", observed=live(2, "L-2"))))
    found = with_exposure(Portfolios(failing=1), plan, workers=1)  # type: ignore[arg-type]
    assert "could not be read: live/portfolio/read: HTTP 500" in str(worth(found.changes[0]))
    assert worth(found.changes[1]) == 2.0


def test_a_plan_that_stops_nothing_active_reads_no_portfolio():
    plan = Plan((change(Action.CREATE, "new"), change(Action.STOP, "done", observed=live(status="Stopped"))))
    api = Portfolios()
    assert with_exposure(api, plan) is plan and api.read == []  # type: ignore[arg-type]


def test_each_holding_value_is_read_from_its_own_key():
    raw = {"a": 400.0, "q": 10, "p": 450.0, "u": 50.0}
    [h] = portfolio({"portfolio": {"holdings": {"SPY": raw}, "cash": {}}}).holdings
    assert h == Holding("SPY", 10, 400.0, 4500.0, 50.0)  # no `v`: quantity times the market price
    [h] = portfolio({"portfolio": {"holdings": {"SPY": {"a": 400.0, "q": 10}}, "cash": {}}}).holdings
    assert h.market_value == 4000.0  # no price either: the average price
    long = {"Quantity": 2, "AveragePrice": 3.0, "MarketValue": 7.0, "UnrealizedPnL": 1.0}
    [h] = portfolio({"portfolio": {"holdings": {"X": long}, "cash": {}}}).holdings
    assert h == Holding("X", 2, 3.0, 7.0, 1.0)
    [h] = portfolio({"portfolio": {"holdings": {"X": {"q": 1, "unrealizedProfit": -2.0}}, "cash": {}}}).holdings
    assert h.unrealized == -2.0


def test_a_missing_value_is_zero_and_a_short_position_is_worth_its_size():
    [h] = portfolio({"portfolio": {"holdings": {"X": {"q": -3, "p": 2.0}}, "cash": {"USD": {}}}}).holdings
    assert h == Holding("X", -3, 0.0, -6.0, 0.0)
    assert portfolio({"portfolio": {"holdings": {}, "cash": {"USD": {}}}}).cash == {"USD": 0.0}
    assert Exposure(holdings=(h,)).market_value == 6.0


def test_the_ticker_of_a_symbol_id_is_its_first_word():
    e = Exposure(holdings=(Holding("SPY R735QTJ8XC9X", 1, 2.0, 2.0, 0.0),))
    assert create_settings(e)["holdings"][0]["symbol"] == "SPY"
    assert create_settings(replace(e, holdings=())) == {}


@pytest.mark.parametrize(("symbol_id", "ticker"), [("", ""), ("SPY", "SPY"), ("\tSPY X", "\tSPY")])
def test_a_key_that_is_no_lean_symbol_id_is_carried_as_it_is_never_a_crash_after_the_stop(symbol_id, ticker):
    """The carry is built after the old deployment stopped: an odd key from the API must not raise there."""
    e = Exposure(holdings=(Holding(symbol_id, 1, 2.0, 2.0, 0.0),))
    [held] = create_settings(e)["holdings"]
    assert (held["symbolId"], held["symbol"]) == (symbol_id, ticker)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({}, "live/portfolio/read answered without a portfolio"),
        ({"portfolio": {"holdings": [], "cash": {}}}, "live/portfolio/read answered holdings or cash in a shape"),
        ({"portfolio": {"holdings": {"X": 5}, "cash": {}}}, "(holding X)"),
        ({"portfolio": {"holdings": {"X": {"q": True}}, "cash": {}}}, "(True)"),
        ({"portfolio": {"holdings": {"X": {"q": "nan"}}, "cash": {}}}, "('nan' is not a finite number)"),
        ({"portfolio": {"holdings": {"X": {"q": 1e200, "p": 1e200}}, "cash": {}}}, "(holding X: its market value"),
    ],
)
def test_an_unknown_portfolio_says_what_was_wrong_with_the_answer(answer, said):
    unknown = portfolio(answer).unknown
    assert unknown.startswith("live/portfolio/read answered") and said in unknown
