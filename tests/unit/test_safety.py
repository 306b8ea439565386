"""The safety rules that refuse a whole apply before anything is touched, on plans built by the planner."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qcdeploy.errors import PlanRefused
from qcdeploy.model import Exposure, Holding, Plan
from qcdeploy.planning.planner import PlanOptions, plan
from qcdeploy.planning.safety import Limits, check
from tests.builders import N1, N2, SALT, desired, entry, live, state


def fleet(*names_protected: tuple[str, bool], on_stop: str = "stop"):
    """Managed, running deployments (one per project), their manifests and ledger."""
    ds = [
        desired(name, pid=i + 1, node=N1 if i % 2 == 0 else N2, protect=protected, onStop=on_stop)
        for i, (name, protected) in enumerate(names_protected)
    ]
    entries = {
        d.name: entry(d, deploy=f"L-{d.project.project_id}", on_stop=on_stop, protect=d.manifest.spec["protect"])
        for d in ds
    }
    st = state(*(live(d.project.project_id, f"L-{d.project.project_id}") for d in ds))
    return ds, entries, st


def refusal(p: Plan, st, entries, limits: Limits) -> str:
    with pytest.raises(PlanRefused) as caught:
        check(p, st, entries, limits)
    return str(caught.value)


def test_a_protected_deployment_is_not_stopped_or_replaced_without_allow_protected():
    ds, entries, st = fleet(("a", True), ("b", False))
    stopped = plan(
        [replace(ds[0], manifest=replace(ds[0].manifest, spec={**ds[0].manifest.spec, "state": "stopped"})), ds[1]],
        st,
        entries,
        SALT,
    )
    assert "protected deployment(s) a (--allow-protected to allow)" in refusal(stopped, st, entries, Limits())
    check(stopped, st, entries, Limits(allow_protected=True))
    replaced = plan(ds, st, entries, SALT, PlanOptions(replace=frozenset({"a"})))
    assert "protected deployment(s) a" in refusal(replaced, st, entries, Limits())


def test_max_stops_counts_stops_and_replaces():
    ds, entries, st = fleet(("a", False), ("b", False), ("c", False))
    p = plan(ds, st, entries, SALT, PlanOptions(replace=frozenset({"a", "b"})))
    assert "stop or replace 2 deployment(s), more than --max-stops 1" in refusal(p, st, entries, Limits(max_stops=1))
    check(p, st, entries, Limits(max_stops=2))


def test_stopping_every_managed_deployment_needs_allow_empty_but_replacing_them_all_does_not():
    ds, entries, st = fleet(("a", False), ("b", False))
    pruned = plan([], st, entries, SALT, PlanOptions(prune=True))
    assert "stop every one of the 2 running deployments" in refusal(pruned, st, entries, Limits())
    check(pruned, st, entries, Limits(allow_empty=True))
    replaced = plan(ds, st, entries, SALT, PlanOptions(replace=frozenset({"a", "b"})))
    check(replaced, st, entries, Limits())  # a replace keeps its strategy running


def test_the_last_lone_deployment_may_be_stopped():
    _, entries, st = fleet(("a", False))
    check(plan([], st, entries, SALT, PlanOptions(prune=True)), st, entries, Limits())


def test_liquidation_value_is_limited_and_an_unknown_portfolio_is_never_under_the_limit():
    ds, entries, st = fleet(("a", False), ("b", False), ("c", False), on_stop="liquidate")
    p = plan(ds[1:], st, entries, SALT, PlanOptions(prune=True))
    [c] = p.changes
    held = Exposure(holdings=(Holding("SPY", 10, 400.0, 4000.0, 12.0), Holding("QQQ", -5, 300.0, -1500.0, -3.0)))
    worth = Plan((replace(c, exposure=held),))
    assert "holdings worth 5,500.00, more than --max-liquidation-value 5,000.00" in refusal(
        worth, st, entries, Limits(max_liquidation_value=5000)
    )
    check(worth, st, entries, Limits(max_liquidation_value=5500))
    unknown = Plan((replace(c, exposure=Exposure(unknown="live/portfolio/read: HTTP 500")),))
    assert "portfolio of a could not be read" in refusal(unknown, st, entries, Limits(max_liquidation_value=1e12))


def test_every_broken_rule_is_named_at_once():
    _, entries, st = fleet(("a", True), ("b", False))
    p = plan([], st, entries, SALT, PlanOptions(prune=True))
    said = refusal(p, st, entries, Limits(max_stops=1))
    assert "protected" in said and "--max-stops 1" in said and "stop every one" in said
    assert said.endswith("Nothing was changed")


def test_zero_is_a_limit_not_no_limit():
    """`--max-stops 0` and `--max-liquidation-value 0` are limits (a truthiness check would drop them)."""
    ds, entries, st = fleet(("a", False), ("b", False), on_stop="liquidate")
    p = plan(ds[1:], st, entries, SALT, PlanOptions(prune=True))
    [c] = p.changes
    assert "stop or replace 1 deployment(s), more than --max-stops 0" in refusal(p, st, entries, Limits(max_stops=0))
    worth = Plan((replace(c, exposure=Exposure(holdings=(Holding("SPY", 1, 1.0, 1.0, 0.0),))),))
    assert "holdings worth 1.00, more than --max-liquidation-value 0.00" in refusal(
        worth, st, entries, Limits(max_liquidation_value=0)
    )


def test_a_replace_that_liquidates_is_held_to_the_liquidation_limit_and_one_that_stops_is_not():
    _, entries, st = fleet(("a", False))
    held = Exposure(holdings=(Holding("SPY", 10, 400.0, 4000.0, 0.0),))
    sells = desired("a", pid=1, node=N1, onReplace="liquidate", parameters={"x": "1"})
    [c] = plan([sells], st, entries, SALT).changes
    assert c.action.value == "replace" and c.liquidate
    assert "holdings worth 4,000.00" in refusal(
        Plan((replace(c, exposure=held),)), st, entries, Limits(max_liquidation_value=100)
    )
    keeps = desired("a", pid=1, node=N1, onStop="liquidate", parameters={"x": "1"})
    [k] = plan([keeps], st, entries, SALT).changes
    check(Plan((replace(k, exposure=held),)), st, entries, Limits(max_liquidation_value=0))


def test_the_liquidation_limit_adds_its_problem_to_the_others():
    ds, entries, st = fleet(("a", True), ("b", False), on_stop="liquidate")
    p = plan(ds[1:], st, entries, SALT, PlanOptions(prune=True))
    [c] = p.changes
    said = refusal(
        Plan((replace(c, exposure=Exposure(unknown="HTTP 500")),)), st, entries, Limits(max_liquidation_value=1)
    )
    assert "protected deployment(s) a" in said and "portfolio of a could not be read" in said


def test_only_running_deployments_qcdeploy_made_count_for_allow_empty():
    """Two running, one of ours already stopped: pruning the two running ones leaves none running."""
    ds, entries, _ = fleet(("a", False), ("b", False), ("c", False))
    stopped_c = state(live(1, "L-1"), live(2, "L-2"), live(3, "L-3", status="Stopped"))
    pruned = plan([ds[2]], stopped_c, entries, SALT, PlanOptions(prune=True))
    assert "stop every one of the 2 running deployments" in refusal(pruned, stopped_c, entries, Limits())
    someone_elses = state(live(1, "L-1"), live(2, "L-2"), live(3, "L-someone-else"))
    pruned = plan([ds[2]], someone_elses, entries, SALT, PlanOptions(prune=True))
    assert "stop every one of the 2 running deployments" in refusal(pruned, someone_elses, entries, Limits())
