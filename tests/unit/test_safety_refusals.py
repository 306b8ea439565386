"""How a refused apply says so: one refusal naming every broken rule, each naming every deployment it is about,
and the option that would allow it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qcdeploy.errors import PlanRefused
from qcdeploy.model import Action, Exposure, Plan
from qcdeploy.planning.safety import Limits, check
from tests.builders import change, desired, entry, live, state


def refusal(plan: Plan, limits: Limits, st=None, ledger=None) -> str:
    with pytest.raises(PlanRefused) as caught:
        check(plan, st or state(), ledger or {}, limits)
    return str(caught.value)


def test_a_refusal_names_every_protected_deployment_and_every_broken_rule():
    stops = Plan(
        tuple(change(Action.STOP, n, observed=live(i, f"L-{i}"), protected=True) for i, n in ((1, "a"), (2, "b")))
    )
    said = refusal(stops, Limits(max_stops=1))
    assert said.startswith(
        "refusing to apply: it would stop or replace protected deployment(s) a, b (--allow-protected"
    )
    assert "to allow); it would stop or replace 2 deployment(s), more than --max-stops 1. Nothing was changed" in said


def test_a_refusal_names_every_portfolio_that_could_not_be_read():
    unknown = Exposure(unknown="HTTP 500")
    sells = Plan(tuple(replace(change(Action.LIQUIDATE, n), exposure=unknown) for n in ("a", "b")))
    assert "the portfolio of a, b could not be read" in refusal(sells, Limits(max_liquidation_value=1))


def test_stopping_every_managed_deployment_says_none_would_be_left_running():
    ledger = {n: entry(desired(n, pid=i), deploy=f"L-{i}") for i, n in ((1, "a"), (2, "b"))}
    st = state(live(1, "L-1"), live(2, "L-2"))
    stops = Plan(tuple(change(Action.STOP, n, observed=live(i, f"L-{i}")) for i, n in ((1, "a"), (2, "b"))))
    assert "leaving none running (--allow-empty to allow)" in refusal(stops, Limits(), st, ledger)
