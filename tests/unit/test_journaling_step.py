"""The journal apply writes around each irreversible step (apply/journaling.py), with the ledger replaced by a
recorder: every entry is written before its step and says which step, what is deployed, what ran before and who
ran it; a write that fails before a stop or a plain create stops the change, one that fails once the strategy is
down never holds it back; and at the end of a run an entry leaves the journal only when its change reached a known
end, while a FLAT one stays saying why (the next plan reads it: an entry cleared too early is a strategy left flat
with no trace)."""

from __future__ import annotations

import socket
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply import creating, journaling
from qcdeploy.apply.outcome import Outcome, Result, StepFailed
from qcdeploy.errors import ApiError, LedgerError
from qcdeploy.ledger.journal import CREATING, FLAT, STOPPED, STOPPING, WATCHING, JournalEntry
from qcdeploy.model import Action, Interruption, Plan
from qcdeploy.planning.fingerprint import entry_for
from qcdeploy.quantconnect.transport import AmbiguousWrite
from tests.builders import SALT, change, desired, entry, live

STAMP = "2026-12-07T10:00:00Z"
MODIFIED = "2026-12-07 09:00:00"


class Ledger:
    """The journal's writes in order; the kinds named in `failing` raise LedgerError instead."""

    salt = SALT

    def __init__(self, *failing: str) -> None:
        self.writes: list[tuple[Any, ...]] = []
        self.failing = failing

    def _write(self, *what: Any) -> None:
        if what[0] in self.failing:
            raise LedgerError(f"{what[0]}: the state backend is read-only")
        self.writes.append(what)

    def begin(self, j: JournalEntry, forget: bool = False, record: Any = None) -> None:
        self._write("begin", j, forget, record)

    def settle(self, done: Any, flat: Any = ()) -> None:
        self._write("settle", list(done), list(flat))

    def put(self, e: Any) -> None:
        self._write("put", e)


def ctx(*failing: str) -> Any:
    logged: list[tuple[str, str]] = []
    return SimpleNamespace(
        ledger=Ledger(*failing),
        stamp=lambda: STAMP,
        log=lambda name, message: logged.append((name, message)),
        logged=logged,
    )


@pytest.fixture(autouse=True)
def ci_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTOR", "ann")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")


def result(action: Action = Action.REPLACE, name: str = "m", **kw: Any) -> Result:
    d = desired(name, pid=7)
    if action is Action.REPLACE:
        c = change(action, name, desired=d, entry=entry(d, deploy="L-old"), observed=live(7, "L-old"))
    else:
        c = change(action, name, desired=d)
    return Result(c, compile_id="c-2", project_modified=MODIFIED, code_hash="h-2", **kw)


def target(r: Result, modified: str = MODIFIED) -> Any:
    assert r.change.desired is not None
    return entry_for(r.change.desired, "", SALT, "c-2", modified, STAMP, "h-2")


def journal(r: Result, step: str, **fields: Any) -> JournalEntry:
    """The entry a change starts with, as the next plan must read it."""
    return JournalEntry(
        name=r.change.name,
        action=r.change.action.value,
        project_id=7,
        step=step,
        at=STAMP,
        target=target(r),
        old=r.change.entry,
        who=f"ann@{socket.gethostname()}",
        ci_run="42",
        **fields,
    )


def stopping(c: Any) -> Result:
    r = result()
    journaling.before_stop(c, r, "L-old")
    return r


def test_a_replace_journals_what_it_stops_and_what_ran_before_ahead_of_the_stop():
    c = ctx()
    r = stopping(c)
    expected = journal(r, STOPPING, stopping="L-old")
    assert r.journal == expected and c.ledger.writes == [("begin", expected, False, None)]


def test_a_journal_that_cannot_be_written_before_the_stop_stops_nothing():
    r = result()
    with pytest.raises(StepFailed, match=r"read-only\); nothing was stopped"):
        journaling.before_stop(ctx("begin"), r, "L-old")
    assert r.journal is None


def test_after_the_stop_the_old_deployment_leaves_the_ledger_in_the_same_write():
    c = ctx()
    r = stopping(c)
    journaling.after_stop(c, r)
    expected = journal(r, STOPPED, stopping="L-old")
    assert r.journal == expected and c.ledger.writes[-1] == ("begin", expected, True, None)
    unrecorded = result()
    unrecorded.change = replace(unrecorded.change, entry=None)  # what ran was not qcdeploy's: nothing to forget
    unrecorded.journal = journal(unrecorded, STOPPING)
    journaling.after_stop(c, unrecorded)
    assert c.ledger.writes[-1][2:] == (False, None)


def test_a_ledger_that_cannot_be_written_after_the_stop_never_holds_the_create_back():
    c = ctx()
    r = stopping(c)
    c.ledger.failing = ("begin",)
    journaling.after_stop(c, r)
    assert r.journal is not None and r.journal.step == STOPPED
    assert [name for name, _ in c.logged] == ["m"] and "read-only" in c.logged[0][1]


def test_a_plain_create_journals_the_baseline_a_new_deployment_is_told_from():
    c = ctx()
    r = result(Action.CREATE)
    journaling.before_create(c, r, "L-0")
    expected = journal(r, CREATING, baseline="L-0")
    assert r.journal == expected and c.ledger.writes == [("begin", expected, False, None)]
    never = result(Action.CREATE)
    journaling.before_create(c, never, None)  # a project never deployed: any deployment is newer
    assert never.journal is not None and never.journal.baseline == ""


def test_a_plain_create_whose_journal_cannot_be_written_is_not_sent():
    r = result(Action.CREATE)
    with pytest.raises(StepFailed, match=r"read-only\); nothing was deployed"):
        journaling.before_create(ctx("begin"), r, "L-0")
    assert r.journal is None


def test_a_replace_moves_its_entry_on_to_creating_with_the_target_as_the_parameters_left_it():
    c = ctx()
    r = stopping(c)
    r.stopped, r.project_modified = True, "2026-12-07 09:30:00"  # the parameters were set before the stop
    journaling.before_create(c, r, "L-old")
    expected = replace(journal(r, CREATING, stopping="L-old", baseline="L-old"), target=target(r, r.project_modified))
    assert r.journal == expected and c.ledger.writes[-1] == ("begin", expected, False, None)


def test_a_replace_whose_old_deployment_is_gone_creates_even_if_the_journal_cannot_be_written():
    c = ctx()
    r = stopping(c)
    r.stopped = True
    c.ledger.failing = ("begin",)
    journaling.before_create(c, r, "L-old")
    assert r.journal is not None and r.journal.step == CREATING
    assert [name for name, _ in c.logged] == ["m"] and "read-only" in c.logged[0][1]


def test_a_rollback_journals_the_old_spec_as_its_target_and_forgets_the_failed_deployment():
    c = ctx()
    r = stopping(c)
    r.journal = replace(journal(r, WATCHING, stopping="L-old"), deploy_id="L-new")
    old = r.change.entry
    assert old is not None
    journaling.before_rollback(c, r, old, "L-new")
    expected = replace(journal(r, CREATING, stopping="L-old", baseline="L-new"), target=replace(old, deploy_id=""))
    assert r.journal == expected and c.ledger.writes[-1] == ("begin", expected, False, None)


def test_a_rollback_without_an_entry_yet_starts_one_and_never_waits_for_the_ledger():
    c = ctx("begin")
    r = result()
    old = r.change.entry
    assert old is not None
    journaling.before_rollback(c, r, old, None)
    expected = replace(journal(r, CREATING), target=replace(old, deploy_id=""))
    assert r.journal == expected
    assert [name for name, _ in c.logged] == ["m"] and "read-only" in c.logged[0][1]


def test_another_tools_deployment_clears_the_journal_entry_of_the_create():
    c = ctx()
    r = stopping(c)
    journaling.not_ours(c, r)
    assert r.journal is None and c.ledger.writes[-1] == ("settle", ["m"], [])
    nothing = result(Action.CREATE)
    journaling.not_ours(c, nothing)
    assert c.ledger.writes[-1] == ("settle", ["m"], [])  # no second write for a change with no entry


def test_a_journal_that_cannot_be_cleared_after_another_tools_deployment_stays():
    c = ctx("settle")
    r = stopping(c)
    journaling.not_ours(c, r)
    assert r.journal is not None
    assert [name for name, _ in c.logged] == ["m"] and "read-only" in c.logged[0][1]


def test_the_new_deployment_is_recorded_and_the_entry_moves_to_watching_in_one_write():
    c = ctx()
    r = stopping(c)
    new = entry(r.change.desired, deploy="L-new")
    journaling.recorded(c, r, new)
    expected = replace(journal(r, WATCHING, stopping="L-old"), deploy_id="L-new")
    assert r.journal == expected and c.ledger.writes[-1] == ("begin", expected, False, new)
    unjournaled = result(Action.CREATE)
    journaling.recorded(c, unjournaled, new)
    assert unjournaled.journal is None and c.ledger.writes[-1] == ("put", new)


def at(step: str, name: str = "m", **kw: Any) -> Result:
    r = result(Action.REPLACE, name, **kw)
    r.journal = journal(r, step)
    return r


def test_a_run_clears_the_entries_of_changes_that_reached_a_known_end_and_keeps_the_flat_ones():
    c = ctx()
    results = [
        result(Action.CREATE, "unjournaled", outcome=Outcome.FAILED),
        at(WATCHING, "done", outcome=Outcome.DONE, stopped=True, deploy_id="L-new"),
        at(CREATING, "rolled-back", outcome=Outcome.ROLLED_BACK, stopped=True, deploy_id="L-back"),
        at(WATCHING, "recorded", outcome=Outcome.FAILED, deploy_id="L-new"),  # the ledger holds the new deployment
        at(STOPPING, "stop-refused", outcome=Outcome.FAILED),  # nothing irreversible sent: the old one runs
        at(STOPPED, "flat", outcome=Outcome.FAILED, flat="FLAT: L-old stopped, the create failed", stopped=True),
        at(STOPPED, "stopped", outcome=Outcome.FAILED, stopped=True),  # a stop may have landed: kept
        at(CREATING, "sent", outcome=Outcome.FAILED, deploy_id="L-new"),  # created, not recorded: kept
    ]
    journaling.settle(c, results, abandoned=False)
    flat = results[5].journal
    assert flat is not None
    left = flat.at_step(FLAT, STAMP, flat="FLAT: L-old stopped, the create failed")
    assert c.ledger.writes == [("settle", ["done", "rolled-back", "recorded", "stop-refused"], [left])]


def test_after_a_second_interrupt_only_finished_changes_leave_the_journal():
    c = ctx()
    results = [
        at(STOPPING, "in-flight", outcome=Outcome.FAILED),
        at(WATCHING, "done", outcome=Outcome.DONE),
        at(CREATING, "rolled-back", outcome=Outcome.ROLLED_BACK),
        at(STOPPED, "flat-in-flight", outcome=Outcome.FAILED, flat="FLAT", stopped=True),
    ]
    journaling.settle(c, results, abandoned=True)
    assert c.ledger.writes == [("settle", ["done", "rolled-back"], [])]


def test_a_run_with_nothing_to_clear_writes_nothing():
    c = ctx()
    journaling.settle(c, [at(STOPPED, "stopped", stopped=True), result(Action.CREATE)], abandoned=False)
    journaling.settle(c, [at(STOPPING, "in-flight")], abandoned=True)
    assert c.ledger.writes == []


def test_a_journal_that_cannot_be_settled_names_every_change_left_in_it():
    c = ctx("settle")
    results = [at(WATCHING, "a", outcome=Outcome.DONE), at(STOPPED, "b", flat="FLAT", stopped=True)]
    journaling.settle(c, results, abandoned=False)
    assert [name for name, _ in c.logged] == ["a, b"] and "read-only" in c.logged[0][1]


def interrupted(name: str, settled: bool = False) -> Interruption:
    return Interruption(name, "an apply died", flat=False, step=STOPPED, at=STAMP, settled=settled)


def test_a_resumed_change_leaves_the_journal_once_this_run_settled_it():
    c = ctx()
    plan = Plan((), interrupted=(*map(interrupted, "abcde"), interrupted("planned-settled", True)))
    finished = result(Action.CREATE, "c", outcome=Outcome.DONE)  # an update recorded it (no journal of its own)
    journaled = at(WATCHING, "d", outcome=Outcome.DONE)  # its own journal entry: settle() clears it
    failed = result(Action.CREATE, "e", outcome=Outcome.FAILED)
    journaling.settle_resumed(c, plan, [finished, journaled, failed])
    assert c.ledger.writes == [("settle", ["c", "planned-settled"], [])]


def test_no_resumed_change_settled_writes_nothing_and_a_failed_clear_is_said():
    c = ctx("settle")
    journaling.settle_resumed(c, Plan((), interrupted=(interrupted("a"),)), [])
    assert c.logged == []
    journaling.settle_resumed(c, Plan((), interrupted=(interrupted("a", True), interrupted("b", True))), [])
    assert [name for name, _ in c.logged] == ["a, b"] and "read-only" in c.logged[0][1]


class LostCreate:
    """live/create whose answer is lost; every live/read after it fails: whether it took effect is unknown."""

    client = SimpleNamespace(server_date=None)

    def live_create(self, body: Any) -> Any:
        raise AmbiguousWrite("live/create: the connection failed")

    def live_read(self, pid: int, deploy_id: str | None = None) -> Any:
        raise ApiError("live/read: HTTP 500")


def test_a_create_sent_whose_effect_is_unknown_stays_in_the_journal_for_the_next_plan_to_record():
    c = ctx()
    c.api, c.baseline, c.options = LostCreate(), {7: "L-0"}, SimpleNamespace(environment="")
    r = result(Action.CREATE, body={"parameters": {}}, parameters_set=True)
    with pytest.raises(StepFailed, match="could not tell"):
        creating.create_step(c, r)
    r.outcome = Outcome.FAILED
    journaling.settle(c, [r], abandoned=False)
    assert [w[0] for w in c.ledger.writes] == ["begin"]  # the `creating` entry, never cleared
