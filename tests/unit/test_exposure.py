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
