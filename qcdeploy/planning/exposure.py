"""What a plan puts at stake: the portfolio of every deployment it would stop, liquidate or replace.

One `live/portfolio/read` per affected deployment (none for the rest), read concurrently. The answer carries
LEAN's `Portfolio` (Common/Api/Portfolio.cs): `holdings` keyed by symbol id, each a `Holding` (Common/Global.cs)
with short keys (`a` average price, `q` quantity, `p` market price, `v` market value, `u` unrealized profit,
`up` its percent, `c` currency symbol) or, as LEAN's reader also accepts, the long names; `cash` keyed by
currency, each with an `amount`. A portfolio that cannot be read is unknown, never empty.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qcdeploy.errors import QcdeployError
from qcdeploy.model import Action, Change, Exposure, Holding, Plan

if TYPE_CHECKING:  # the renderers read this module: no HTTP client for them
    from qcdeploy.quantconnect.endpoints import Api

_KEYS = {
    "quantity": ("q", "Quantity", "quantity"),
    "average_price": ("a", "AveragePrice", "averagePrice"),
    "market_price": ("p", "MarketPrice", "marketPrice"),
    "market_value": ("v", "MarketValue", "marketValue"),
    "unrealized": ("u", "UnrealizedPnL", "unrealizedPnL", "unrealizedProfit"),
}


def with_exposure(api: Api, plan: Plan, workers: int = 8) -> Plan:
    """The plan with `exposure` set on each change that stops an active deployment."""
    at_stake = [i for i, c in enumerate(plan.changes) if c.stops and c.observed is not None and c.observed.active]
    if not at_stake:
        return plan
    with ThreadPoolExecutor(max_workers=min(workers, len(at_stake))) as pool:
        found = list(pool.map(lambda i: (i, read(api, _stopped_project(plan.changes[i]))), at_stake))
    changes = list(plan.changes)
    for i, exposure in found:
        changes[i] = replace(changes[i], exposure=exposure)
    return replace(plan, changes=tuple(changes))


def _stopped_project(c: Change) -> int:
    """The project of the deployment that will be stopped: on a project move that is the old project, not the
    manifest's (where nothing runs yet)."""
    assert c.observed is not None
    return c.observed.project_id


def read(api: Api, project_id: int) -> Exposure:
    try:
        return portfolio(api.live_portfolio(project_id))
    except QcdeployError as exc:
        return Exposure(unknown=f"the portfolio could not be read: {exc}")


def portfolio(answer: Mapping[str, Any]) -> Exposure:
    body = answer.get("portfolio")
    if not isinstance(body, dict):
        return Exposure(unknown="live/portfolio/read answered without a portfolio")
    holdings_raw = _field(body, "holdings", "Holdings")
    cash_raw = _field(body, "cash", "Cash")
    if not isinstance(holdings_raw, dict) or not isinstance(cash_raw, dict):
        return Exposure(unknown="live/portfolio/read answered holdings or cash in a shape qcdeploy does not know")
    try:
        holdings = tuple(sorted((_holding(k, v) for k, v in holdings_raw.items()), key=lambda h: h.symbol))
        cash = {
            str(k): _number(_field(v, "amount", "Amount") if isinstance(v, dict) else v) for k, v in cash_raw.items()
        }
    except (TypeError, ValueError, OverflowError) as exc:
        return Exposure(unknown=f"live/portfolio/read answered a value that is not a finite number ({exc})")
    return Exposure(holdings=tuple(h for h in holdings if h.quantity), cash=cash)


def liquidation_value(plan: Plan) -> tuple[float, list[str]]:
    """The market value the plan's liquidations would sell, and the names whose portfolio is unknown."""
    total, unknown = 0.0, []
    for c in plan.changes:
        if c.liquidate and c.exposure is not None:
            if c.exposure.unknown:
                unknown.append(c.name)
            total += c.exposure.market_value
    return total, unknown


def _holding(symbol: str, raw: Any) -> Holding:
    if not isinstance(raw, dict):
        raise ValueError(f"holding {symbol}")
    values = {name: _number(_field(raw, *keys)) for name, keys in _KEYS.items()}
    value = values["market_value"] or values["quantity"] * (values["market_price"] or values["average_price"])
    if not math.isfinite(value):  # finite factors whose product overflows
        raise ValueError(f"holding {symbol}: its market value is not a finite number")
    return Holding(symbol, values["quantity"], values["average_price"], value, values["unrealized"])


def _field(raw: Mapping[str, Any], *keys: str) -> Any:
    return next((raw[k] for k in keys if k in raw), None)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        raise ValueError(repr(value))
    number = float(value)
    if not math.isfinite(number):  # "nan" > limit is False: a NaN value would slip under any limit
        raise ValueError(f"{value!r} is not a finite number")
    return number


PAPER = "QuantConnectBrokerage"


def carries_portfolio(c: Change) -> bool:
    """A paper replace whose manifest sets neither `cash` nor `holdings`: its portfolio goes on in the new
    deployment, as the lean CLI offers on a paper redeploy (lean-cli `get_last_portfolio_cash_holdings`), so a
    parameter change does not reset a paper track record."""
    if c.action is not Action.REPLACE or c.desired is None:
        return False
    brokerage = c.desired.manifest.spec["brokerage"]
    return brokerage.get("id") == PAPER and "cash" not in brokerage and "holdings" not in brokerage


def portfolio_plan(c: Change) -> str | None:
    """What the new deployment of a paper replace starts with: "carried" or "manifest"; None: not a paper replace."""
    if c.action is not Action.REPLACE or c.desired is None:
        return None
    if c.desired.manifest.spec["brokerage"].get("id") != PAPER:
        return None
    return "carried" if carries_portfolio(c) else "manifest"


def create_settings(e: Exposure) -> dict[str, Any]:
    """The portfolio as live/create takes it (qc-api §4a): `cash: [{amount, currency}]`,
    `holdings: [{symbolId, symbol, quantity, averagePrice}]`; the ticker is the symbol id's first word."""
    settings: dict[str, Any] = {}
    if e.cash:
        settings["cash"] = [{"amount": amount, "currency": currency} for currency, amount in sorted(e.cash.items())]
    if e.holdings:
        settings["holdings"] = [
            {
                "symbolId": h.symbol,
                "symbol": h.symbol.split(" ")[0],
                "quantity": h.quantity,
                "averagePrice": h.average_price,
            }
            for h in e.holdings
        ]
    return settings
