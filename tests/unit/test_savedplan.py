"""A saved plan's check: apply carries out exactly the saved changes, and refuses (changing nothing) when
anything one of them depends on moved since the plan was made."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qcdeploy.model import Action, LiveState
from qcdeploy.planning.planner import PlanOptions, plan
from qcdeploy.planning.savedplan import SavedPlan, StalePlan, check, read, unreviewed_secrets, write
from tests.builders import N2, SALT, T1, desired, entry, live, state


def saved_for(tmp_path: Path, ds, st: LiveState, entries) -> SavedPlan:
    path = str(tmp_path / "plan.json")
    write(path, plan(ds, st, entries, SALT), st, entries, ["m"], PlanOptions())
    return read(path)


def fresh(ds, st, entries):
    """check's arguments after the world moved (or did not): a fresh plan, the state, the ledger."""
    return plan(ds, st, entries, SALT), st, entries


def test_an_unchanged_world_gives_back_exactly_the_saved_changes(tmp_path: Path):
    a, b = desired("a", pid=1), desired("b", pid=2, node=N2)
    st = state()
    saved = saved_for(tmp_path, [a, b], st, {})
    changes = check(saved, *fresh([a, b], st, {}))
    assert [(c.name, c.action) for c in changes] == [("a", Action.CREATE), ("b", Action.CREATE)]


def test_a_change_that_appeared_since_is_not_carried_out(tmp_path: Path):
    a, b = desired("a", pid=1), desired("b", pid=2, node=N2)
    entries = {"a": entry(a, deploy="L-1"), "b": entry(b, deploy="L-2")}
    st = state(live(1, "L-1", status="RuntimeError"), live(2, "L-2"))
    saved = saved_for(tmp_path, [a, b], st, entries)  # a is recreated; b runs as its manifest says
    both_crashed = state(live(1, "L-1", status="RuntimeError"), live(2, "L-2", status="RuntimeError"))
    fresh_plan, _, _ = fresh([a, b], both_crashed, entries)
    assert [c.name for c in fresh_plan.changes] == ["a", "b"]
    assert [c.name for c in check(saved, fresh_plan, both_crashed, entries)] == ["a"]


def test_a_moved_deployment_refuses_the_whole_plan(tmp_path: Path):
    d = desired("a", pid=1, parameters={"x": "2"})
    entries = {"a": entry(desired("a", pid=1, parameters={"x": "1"}), deploy="L-1")}
    st = state(live(1, "L-1"))
    saved = saved_for(tmp_path, [d], st, entries)
    redeployed = state(live(1, "L-9"))
    with pytest.raises(StalePlan, match=r"a \(a\.yaml\): the live deployment changed") as caught:
        check(saved, *fresh([d], redeployed, entries))
    assert str(caught.value).endswith("Nothing was changed; run plan again and review the new plan")


def test_what_each_change_depends_on_is_named_when_it_moved(tmp_path: Path):
    d = desired("a", pid=1, parameters={"x": "2"})
    entries = {"a": entry(desired("a", pid=1, parameters={"x": "1"}), deploy="L-1")}
    st = state(live(1, "L-1"))
    saved = saved_for(tmp_path, [d], st, entries)
    other_entry = {"a": replace(entries["a"], applied_at="later")}
    with pytest.raises(StalePlan, match="the ledger entry changed"):
        check(saved, *fresh([d], st, other_entry))
    newer_code = replace(d, project=replace(d.project, modified="2026-11-02 00:00:00", modified_at=T1))
    with pytest.raises(StalePlan, match="the project's code changed"):
        check(saved, plan([newer_code], st, entries, SALT), st, entries)


def edited(d, **spec):
    """d with its manifest document edited (as written; the resolved spec left alone)."""
    value = {**d.manifest.doc.value, "spec": {**d.manifest.doc.value.get("spec", {}), **spec}}
    return replace(d, manifest=replace(d.manifest, doc=replace(d.manifest.doc, value=value)))


def test_an_edit_to_a_planned_deployments_manifest_refuses_naming_it_and_its_file(tmp_path: Path):
    d = desired("a", pid=1)
    saved = saved_for(tmp_path, [d], state(), {})
    with pytest.raises(StalePlan, match=r"plan is stale: a \(a\.yaml\): its manifest changed"):
        check(saved, *fresh([edited(d, protect=True)], state(), {}))


def test_an_edit_to_another_deployment_leaves_the_plan_current(tmp_path: Path):
    a, b = desired("a", pid=1), desired("b", pid=2, node=N2)
    entries = {"b": entry(b, deploy="L-2")}
    st = state(live(2, "L-2"))
    saved = saved_for(tmp_path, [a, b], st, entries)  # creates a; b runs as written
    [c] = check(saved, *fresh([a, edited(b, note="another pull request")], st, entries))
    assert c.name == "a"


def test_a_change_no_longer_needed_refuses(tmp_path: Path):
    d = desired("a", pid=1)
    saved = saved_for(tmp_path, [d], state(), {})
    running = state(live(1, "L-1"))
    entries = {"a": entry(d, deploy="L-1")}
    with pytest.raises(
        StalePlan, match=r"a \(a\.yaml\): the live deployment changed, and the planned create is no longer needed"
    ):
        check(saved, *fresh([d], running, entries))


def test_a_node_taken_since_refuses_a_create(tmp_path: Path):
    d = desired("a", pid=1)
    saved = saved_for(tmp_path, [d], state(), {})
    busy = replace(d, node=replace(d.node, busy=True, used_by="someone"))
    st = LiveState({}, {}, (busy.node,))
    with pytest.raises(StalePlan, match="the node's availability changed"):
        check(saved, plan([busy], st, {}, SALT), st, {})


def test_an_unset_secret_at_plan_time_does_not_make_the_plan_stale(tmp_path: Path):
    secret = [("brokerage", "pw")]
    planned = desired("a", pid=1, brokerage={"id": "X", "pw": "(unset)"}, sensitive=secret)
    planned = replace(planned, manifest=replace(planned.manifest, unset=frozenset(secret)))
    saved = saved_for(tmp_path, [planned], state(), {})
    applying = desired("a", pid=1, brokerage={"id": "X", "pw": "real-secret"}, sensitive=secret)
    [c] = check(saved, *fresh([applying], state(), {}))
    assert c.desired is applying


def test_the_plan_file_holds_no_secret_value(tmp_path: Path):
    d = desired("a", pid=1, brokerage={"id": "X", "pw": "s3cret-value"}, sensitive=[("brokerage", "pw")])
    saved_for(tmp_path, [d], state(), {})
    assert "s3cret-value" not in (tmp_path / "plan.json").read_text()


def _with_password(pw: str, x: str, unset: bool = False):
    d = desired("a", pid=1, sensitive=[("brokerage", "pw")], brokerage={"id": "B", "pw": pw}, parameters={"x": x})
    return replace(d, manifest=replace(d.manifest, unset=frozenset({("brokerage", "pw")}))) if unset else d


@pytest.mark.parametrize(("now", "expected"), [("old-pw", ()), ("new-pw", ("a",))])
def test_a_secret_the_plan_could_not_compare_is_compared_at_apply(tmp_path: Path, now, expected):
    """Planned where the password was not set (a parameter changed); applied with it set: the same password
    passes, another one is named as not reviewed."""
    entries = {"a": entry(_with_password("old-pw", "1"), deploy="L-1")}
    st = state(live(1, "L-1"))
    saved = saved_for(tmp_path, [_with_password("", "2", unset=True)], st, entries)
    assert saved.not_compared() == {"a": (("brokerage", "pw"),)}
    changes = check(saved, *fresh([_with_password(now, "2")], st, entries))
    found = unreviewed_secrets(saved, changes, entries, SALT)
    assert found == tuple(f"{n}: brokerage.pw changed since the plan was reviewed: not reviewed" for n in expected)


def test_a_plan_made_with_every_secret_has_nothing_unreviewed(tmp_path: Path):
    entries = {"a": entry(_with_password("old-pw", "1"), deploy="L-1")}
    st = state(live(1, "L-1"))
    saved = saved_for(tmp_path, [_with_password("new-pw", "2")], st, entries)  # reviewed as changed
    changes = check(saved, *fresh([_with_password("new-pw", "2")], st, entries))
    assert saved.not_compared() == {} and unreviewed_secrets(saved, changes, entries, SALT) == ()
