"""The next plan after a run that died: each journal entry named, and the change that finishes it decided from the
live state (planning/interrupted.py, pure), and the journal's round trip through the ledger."""

from __future__ import annotations

from dataclasses import replace

from qcdeploy.ledger.backends.file import FileBackend
from qcdeploy.ledger.journal import CREATING, STOPPED, STOPPING, WATCHING, JournalEntry
from qcdeploy.ledger.store import Ledger
from qcdeploy.model import Action, Create, Plan, Reason, Replace, Update, Why
from qcdeploy.planning.interrupted import resume
from tests.builders import desired, entry, live, state

D = desired("alpha", pid=1, parameters={"v": "2"})
OLD = entry(desired("alpha", pid=1, parameters={"v": "1"}), deploy="L-old")


def journal(step: str, **kw: str) -> JournalEntry:
    fields = {"stopping": "L-old", "baseline": "L-old", **kw}
    return JournalEntry("alpha", "replace", 1, step, "2026-12-06T14:02:09Z", replace(OLD, deploy_id=""), OLD, **fields)


def stopped_outside() -> Plan:
    """What the planner alone decides once the old deployment is down: a create that blames someone else."""
    why = Reason(Why.STOPPED_OUTSIDE, "deployment L-old was stopped outside qcdeploy")
    return Plan((Create(name="alpha", reasons=(why,), desired=D, observed=live(deploy="L-old", status="Stopped")),))


def test_nothing_running_after_the_stop_is_flat_and_finished_by_a_create_that_can_roll_back():
    now = state(live(deploy="L-old", status="Stopped"))
    plan = resume(stopped_outside(), {"alpha": journal(STOPPED)}, now, [D], {})
    [shown] = plan.interrupted
    assert shown.flat and shown.detail.startswith("an apply died after stopping L-old at 14:02 UTC")
    assert shown.detail.endswith("nothing is running (FLAT)")
    [c] = plan.changes
    assert isinstance(c, Create) and c.entry == OLD  # what a rollback needs
    assert [r.why for r in c.reasons] == [Why.INTERRUPTED]  # not "stopped outside qcdeploy": qcdeploy stopped it


def test_a_create_sent_before_the_death_is_recorded_not_sent_again():
    now = state(live(deploy="L-new", status="InQueue"))
    plan = resume(Plan(()), {"alpha": journal(CREATING)}, now, [D], {})
    [c] = plan.changes
    assert isinstance(c, Update) and c.action is Action.UPDATE and c.entry.deploy_id == "L-new"
    assert not plan.interrupted[0].flat and "it created L-new, which is InQueue" in plan.interrupted[0].detail


def test_a_create_sent_that_crashed_is_created_again_flat():
    now = state(live(deploy="L-new", status="RuntimeError"))
    plan = resume(Plan(()), {"alpha": journal(CREATING)}, now, [D], {})
    [c] = plan.changes
    assert isinstance(c, Create) and plan.interrupted[0].flat
    assert "the deployment it created, L-new, ended RuntimeError" in plan.interrupted[0].detail


def test_the_old_deployment_still_running_keeps_the_planners_replace():
    running = live(deploy="L-old")
    planned = Replace(
        name="alpha", reasons=(Reason(Why.FIELD_CHANGED, "parameters changed"),), desired=D, observed=running, entry=OLD
    )
    plan = resume(Plan((planned,)), {"alpha": journal(STOPPING)}, state(running), [D], {})
    assert plan.changes == (planned,) and not plan.interrupted[0].flat
    assert (
        "died while stopping L-old" in plan.interrupted[0].detail and "L-old is Running" in plan.interrupted[0].detail
    )


def test_already_recorded_needs_no_change():
    recorded = replace(OLD, deploy_id="L-new")
    plan = resume(
        Plan(()), {"alpha": journal(WATCHING, deploy_id="L-new")}, state(live(deploy="L-new")), [D], {"alpha": recorded}
    )
    assert plan.changes == () and plan.interrupted[0].detail.startswith("an apply died while watching L-new")


def test_the_journal_round_trips_and_settles_in_one_write(tmp_path):
    path = str(tmp_path / "state.json")
    ledger = Ledger.load(FileBackend(path))
    ledger.put(OLD)
    ledger.begin(journal(STOPPED), forget=True)
    again = Ledger.load(FileBackend(path))
    assert again.journal == {"alpha": journal(STOPPED)} and "alpha" not in again.entries
    serial = again.serial
    again.settle(["alpha"])
    final = Ledger.load(FileBackend(path))
    assert final.journal == {} and final.serial == serial + 1


def test_a_first_deployment_that_died_unsent_is_not_called_flat():
    first = replace(journal(CREATING, stopping="", baseline=""), action="create", old=None)
    plan = resume(Plan(()), {"alpha": first}, state(), [D], {})
    assert not plan.interrupted[0].flat and plan.interrupted[0].detail.endswith("; nothing is running")


def test_targeting_another_deployment_names_the_interrupted_one_without_finishing_it():
    now = state(live(deploy="L-old", status="Stopped"))
    plan = resume(Plan(()), {"alpha": journal(STOPPED)}, now, [D], {}, targets=frozenset({"beta"}))
    assert plan.changes == () and plan.interrupted[0].flat
    recorded = replace(OLD, deploy_id="L-new")
    watching = {"alpha": journal(WATCHING, deploy_id="L-new")}
    other = resume(Plan(()), watching, state(live(deploy="L-new")), [D], {"alpha": recorded}, targets=frozenset({"b"}))
    assert not other.interrupted[0].settled  # not targeted: its entry stays for a run that plans it
    mine = resume(Plan(()), watching, state(live(deploy="L-new")), [D], {"alpha": recorded})
    assert mine.interrupted[0].settled
