"""The backtest gate's pure rules: statistics as LEAN formats them, thresholds, the period."""

from __future__ import annotations

import pytest

from qcdeploy.planning.backtestgate import checks, number


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.234", 1.234), ("12.3%", 0.123), ("-3.2%", -0.032), ("1,234", 1234.0), ("$1,234.56", 1234.56)],
)
def test_statistics_read_as_written(text, value):
    assert number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "-", "n/a", None, "NaN", "inf", "12.3%%"])
def test_an_unreadable_statistic_is_unknown(text):
    assert number(text) is None


def test_unknown_never_passes_and_every_threshold_is_reported():
    found = checks({"minSharpe": 0, "maxDrawdown": 0.5, "minNetProfit": 0}, {"Drawdown": "NaN"}, "", "")
    assert [(c.label, c.ok) for c in found] == [("Sharpe", False), ("drawdown", False), ("net profit", False)]


def test_older_lean_names_total_trades():
    (found,) = checks({"minTrades": 20}, {"Total Trades": "19"}, "", "")
    assert str(found) == "orders 19 < 20 (fails)"


def test_the_period_must_cover_the_gate():
    found = checks({"start": "2024-01-01", "end": "2025-12-31"}, {}, "2023-06-01T00:00:00Z", "2025-06-30 00:00:00")
    assert [str(c) for c in found] == [
        "backtest start 2023-06-01 ≤ 2024-01-01",
        "backtest end 2025-06-30 < 2025-12-31 (fails)",
    ]
