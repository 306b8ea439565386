"""A change's exposure (the portfolio it puts at stake) in words, for every renderer."""

from __future__ import annotations

from typing import Any

from qcdeploy.model import Exposure

CARRY = {
    "carried": "carried into the new deployment (cash and holdings as they are just before the stop)",
    "manifest": "the new deployment starts from the manifest's cash/holdings",
}


def brief(e: Exposure) -> str:
    """One line: holdings, market value, cash, unrealized profit; or why it is unknown."""
    if e.unknown:
        return f"exposure unknown ({e.unknown})"
    cash = ", ".join(f"{currency} {_money(amount)}" for currency, amount in sorted(e.cash.items())) or "none"
    if not e.holdings:
        return f"no holdings; cash {cash}"
    return (
        f"{len(e.holdings)} holding(s) worth {_money(e.market_value)}, unrealized {_money(e.unrealized, sign=True)}; "
        f"cash {cash}"
    )


def lines(e: Exposure, indent: str = "      ") -> list[str]:
    """The brief line, then one line per holding."""
    out = [f"{indent}at stake: {brief(e)}"]
    for h in e.holdings:
        out.append(
            f"{indent}  {h.symbol}: {h.quantity:g} @ {_money(h.average_price)}, value {_money(h.market_value)}, "
            f"unrealized {_money(h.unrealized, sign=True)}"
        )
    return out


def as_json(e: Exposure) -> dict[str, Any]:
    if e.unknown:
        return {"known": False, "reason": e.unknown}
    return {
        "known": True,
        "holdings": [
            {
                "symbol": h.symbol,
                "quantity": h.quantity,
                "averagePrice": h.average_price,
                "marketValue": h.market_value,
                "unrealized": h.unrealized,
            }
            for h in e.holdings
        ],
        "cash": dict(sorted(e.cash.items())),
        "marketValue": e.market_value,
        "unrealized": e.unrealized,
    }


def _money(value: float, sign: bool = False) -> str:
    return f"{value:+,.2f}" if sign else f"{value:,.2f}"
