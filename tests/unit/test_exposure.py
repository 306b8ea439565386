"""Reading live/portfolio/read answers: LEAN's short and long Holding keys; anything else is
unknown, never an empty portfolio."""

from __future__ import annotations

import pytest

from qcdeploy.planning.exposure import create_settings, portfolio


def test_short_keys_and_cash_amounts():
    e = portfolio(
        {
            "portfolio": {
                "holdings": {"SPY R735QTJ8XC9X": {"a": 400, "q": 10, "v": 4500, "u": 5}},
                "cash": {"USD": {"symbol": "USD", "amount": 100}, "EUR": {"Amount": 7}},
            }
        }
    )
    assert not e.unknown and e.market_value == 4500 and e.unrealized == 5 and e.cash == {"USD": 100, "EUR": 7}
    assert create_settings(e) == {
        "cash": [{"amount": 7, "currency": "EUR"}, {"amount": 100, "currency": "USD"}],
        "holdings": [{"symbolId": "SPY R735QTJ8XC9X", "symbol": "SPY", "quantity": 10, "averagePrice": 400}],
    }


def test_market_value_from_price_when_the_answer_has_none():
    e = portfolio({"portfolio": {"holdings": {"X": {"Quantity": 2, "MarketPrice": 3}}, "cash": {}}})
    assert e.market_value == 6 and create_settings(e)["holdings"][0]["symbol"] == "X"


def test_zero_quantities_are_not_at_stake():
    assert portfolio({"portfolio": {"holdings": {"X": {"q": 0, "v": 0}}, "cash": {}}}).holdings == ()


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({}, "without a portfolio"),
        ({"portfolio": {"holdings": [], "cash": {}}}, "in a shape qcdeploy does not know"),
        ({"portfolio": {"holdings": {"X": {"q": "lots"}}, "cash": {}}}, "not a finite number"),
        ({"portfolio": {"holdings": {"X": {"q": True}}, "cash": {}}}, "not a finite number"),
        ({"portfolio": {"holdings": {"X": 5}, "cash": {}}}, "not a finite number"),
    ],
)
def test_a_malformed_answer_is_unknown_never_empty(answer, why):
    e = portfolio(answer)
    assert why in e.unknown and e.holdings == ()


@pytest.mark.parametrize("bad", [float("nan"), "NaN", float("inf"), "-Infinity", "1e999", 10**400])
@pytest.mark.parametrize("key", ["v", "p", "q", "a"])
def test_a_value_that_is_not_a_finite_number_makes_the_exposure_unknown(bad, key):
    """`nan > limit` is False: a NaN worth would pass --max-liquidation-value whatever it sells."""
    raw = {"a": 400.0, "q": 10, "p": 450.0, "v": 4500.0, key: bad}
    e = portfolio({"portfolio": {"holdings": {"SPY": raw}, "cash": {}}})
    assert "not a finite number" in e.unknown and e.holdings == ()


def test_a_cash_amount_that_is_not_finite_makes_the_exposure_unknown():
    e = portfolio({"portfolio": {"holdings": {}, "cash": {"USD": {"amount": float("nan")}}}})
    assert e.unknown and e.cash == {}


def test_finite_values_whose_product_overflows_are_unknown():
    e = portfolio({"portfolio": {"holdings": {"X": {"q": 1e200, "p": 1e200}}, "cash": {}}})
    assert "not a finite number" in e.unknown


def test_long_portfolio_keys_plain_cash_numbers_and_holdings_in_symbol_order():
    e = portfolio(
        {
            "portfolio": {
                "Holdings": {"SPY": {"q": 1, "v": 10}, "AAPL": {"q": 2, "v": 20}},
                "Cash": {"USD": 100, "EUR": {"amount": 7}},
            }
        }
    )
    assert not e.unknown and [h.symbol for h in e.holdings] == ["AAPL", "SPY"] and e.cash == {"USD": 100, "EUR": 7}


def test_the_liquidation_value_adds_every_liquidation_and_names_each_unknown():
    from dataclasses import replace as with_

    from qcdeploy.model import Action, Exposure, Holding, Plan
    from qcdeploy.planning.exposure import liquidation_value
    from tests.builders import change

    def worth(name, value):
        return with_(change(Action.LIQUIDATE, name), exposure=Exposure(holdings=(Holding("X", 1, 1.0, value, 0.0),)))

    unknown = with_(change(Action.LIQUIDATE, "u"), exposure=Exposure(unknown="HTTP 500"))
    kept = with_(change(Action.STOP, "k"), exposure=Exposure(holdings=(Holding("X", 1, 1.0, 99.0, 0.0),)))
    assert liquidation_value(Plan((worth("a", 100.0), worth("b", -50.0), unknown, kept))) == (150.0, ["u"])


def test_only_a_paper_replace_without_cash_or_holdings_carries_its_portfolio():
    from qcdeploy.model import Action
    from qcdeploy.planning.exposure import carries_portfolio, portfolio_plan
    from tests.builders import change, desired

    def replace_of(**brokerage):
        return change(Action.REPLACE, desired=desired(brokerage=brokerage))

    paper = {"id": "QuantConnectBrokerage"}
    cases = [
        (replace_of(**paper), True, "carried"),
        (replace_of(**paper, cash=[{"amount": 5, "currency": "USD"}]), False, "manifest"),
        (replace_of(**paper, holdings=[]), False, "manifest"),
        (replace_of(id="InteractiveBrokersBrokerage"), False, None),
        (change(Action.CREATE, desired=desired(brokerage=paper)), False, None),
        (change(Action.STOP, desired=desired(brokerage=paper)), False, None),
        (change(Action.STOP), False, None),
    ]
    for c, carries, plan in cases:
        assert (carries_portfolio(c), portfolio_plan(c)) == (carries, plan), c
