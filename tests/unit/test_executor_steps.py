"""The executor's parts with the steps replaced by recorders and the thread pools by counting ones: every step gets
the apply's context, how many run at once, health windows after each create, what a change window that closes
during the apply holds back (and what it lets finish), a rollback's or a FLAT's log line, a replace that failed
after its stop is brought back (also after an interrupt), a second interrupt that leaves a step stuck behind and
names the strategy FLAT, the journal settled at the end, and the small steps run in the executor itself
(updates, --rollback-interrupted, the line logger)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from qcdeploy import redact
from qcdeploy.apply import executor as executor_mod
from qcdeploy.apply.context import ApplyOptions, Context
from qcdeploy.apply.ending import StoppedOutside, stopped_outside
from qcdeploy.apply.executor import Executor
from qcdeploy.apply.outcome import Interrupted, Outcome, Result, StepFailed
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import ApiError
from qcdeploy.ledger.journal import STOPPING, JournalEntry
from qcdeploy.model import Action, Change, Create, FieldChange, LiveDeployment, Reason, Why
from tests.builders import N1, N2, desired, entry, live
from tests.builders import change as build

STEPS = ("compile_step", "preflight_step", "backtest_step", "stop_step", "create_step", "health_step", "rollback_step")


class Fleet:
    """Each step records (step, change) and the context it was given, and fails where told to."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.done: list[tuple[str, str]] = []
        self.contexts: list[object] = []
        self.why: dict[str, str] = {}
        self.fail: dict[tuple[str, str], Exception] = {}
        self.during: dict[tuple[str, str], Callable[[Result], None]] = {}
        self._lock = threading.Lock()
        for name in STEPS:
            monkeypatch.setattr(executor_mod, name, self._recorder(name))

    def _recorder(self, step: str) -> Callable[..., None]:
        def run(ctx: Context, r: Result, *why: str) -> None:
            if step == "health_step" and not r.window_due:  # as the real one: nothing to watch
                return
            with self._lock:
                self.done.append((step, r.change.name))
                self.contexts.append(ctx)
                if why:
                    self.why[r.change.name] = why[0]
            self.during.get((step, r.change.name), lambda r: None)(r)
            if (step, r.change.name) in self.fail:
                raise self.fail[(step, r.change.name)]
            _succeed(step, r, why)

        return run

    def of(self, name: str) -> list[str]:
        return [step for step, n in self.done if n == name]


def _succeed(step: str, r: Result, why: tuple[str, ...]) -> None:
    if step == "stop_step":
        r.stopped = True
        if not r.change.creates:
            r.outcome, r.detail = Outcome.DONE, "L-old stopped"
    elif step == "create_step":
        r.deploy_id, r.window_due, r.outcome, r.detail = f"D-{r.change.name}", True, Outcome.DONE, "deployed"
    elif step == "health_step":
        r.window_due, r.detail = False, f"{r.deploy_id} Running"
    elif step == "rollback_step":
        r.outcome, r.detail = Outcome.ROLLED_BACK, f"to c-1: new deployment failed: {why[0]}"


class Pools:
    """ThreadPoolExecutor as the executor makes them: how many workers each was given, and how each was shut."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.workers: list[int | None] = []
        self.waited: list[bool] = []
        made = self

        class Counted(ThreadPoolExecutor):
            def __init__(self, max_workers: int | None = None) -> None:
                made.workers.append(max_workers)
                super().__init__(max_workers=max_workers)

            def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
                made.waited.append(wait)
                super().shutdown(wait=wait, cancel_futures=cancel_futures)

        monkeypatch.setattr(executor_mod, "ThreadPoolExecutor", Counted)


class Ledger:
    def __init__(self) -> None:
        self.settled: list[tuple[list[str], list[JournalEntry]]] = []
        self.entries: dict[str, Any] = {}

    def settle(self, done: list[str], flat: Any = ()) -> None:
        self.settled.append((list(done), list(flat)))


def change(name: str, action: Action, pid: int, **kw: Any) -> Change:
    d = desired(name, pid=pid, node=N1 if pid % 2 else N2, **kw.pop("spec", {}))
    if action in (Action.REPLACE, Action.STOP):
        return build(action, name, desired=d, observed=live(pid, f"L-{pid}"), **kw)
    return build(action, name, desired=d, **kw)


def resumed(name: str, pid: int, restore: bool = False) -> Change:
    """A create that finishes a replace an apply that died left half done."""
    d = desired(name, pid=pid)
    why = (Reason(Why.INTERRUPTED, "an apply died after stopping L-old"),)
    return Create(name=name, reasons=why, desired=d, entry=entry(d, deploy="L-old"), restore=restore)


def executor(window: Callable[[], str] = lambda: "", **options: Any) -> tuple[Executor, list[str]]:
    lines: list[str] = []
    ctx = Context(
        object(),  # type: ignore[arg-type]  # the recorders never call the API
        Ledger(),  # type: ignore[arg-type]
        Poller(0.01),
        lambda name, message: lines.append(f"{name}: {message}"),
        ApplyOptions(**{"parallelism": 2, **options}),
    )
    return Executor(ctx, window=window), lines


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Fleet:
    return Fleet(monkeypatch)


def test_every_step_is_given_the_apply_context(fleet: Fleet):
    fleet.fail[("create_step", "swap")] = StepFailed("no")
    fleet.fail[("create_step", "back")] = StepFailed("no")
    ex, _ = executor()
    ex.run([change("swap", Action.REPLACE, 2), resumed("back", 3), change("new", Action.CREATE, 1)])
    assert fleet.contexts and all(c is ex.ctx for c in fleet.contexts)
    assert fleet.of("swap")[-1] == fleet.of("back")[-1] == "rollback_step"


def test_each_create_has_its_health_window_watched_after_it_runs(fleet: Fleet):
    ex, _ = executor()
    new, swap, back = ex.run([change("new", Action.CREATE, 1), change("swap", Action.REPLACE, 2), resumed("back", 3)])
    for r in (new, swap, back):
        assert r.change.name and fleet.of(r.change.name)[-2:] == ["create_step", "health_step"]
        assert (r.outcome, r.detail) == (Outcome.DONE, f"D-{r.change.name} Running")


def test_a_create_that_failed_has_no_health_window(fleet: Fleet):
    fleet.fail[("create_step", "new")] = StepFailed("node busy")
    ex, _ = executor()
    [r] = ex.run([change("new", Action.CREATE, 1)])
    assert fleet.of("new")[-1] == "create_step" and r.detail == "node busy"


def test_a_failure_in_the_health_window_of_a_replace_rolls_it_back(fleet: Fleet):
    fleet.fail[("health_step", "swap")] = StepFailed("D-swap ended in RuntimeError within 30s of Running")
    ex, lines = executor()
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert fleet.of("swap")[-2:] == ["health_step", "rollback_step"]
    assert r.outcome is Outcome.ROLLED_BACK
    assert (
        "swap: rolled back to c-1: new deployment failed: D-swap ended in RuntimeError within 30s of Running" in lines
    )


def test_compiles_run_sixteen_at_once_and_changes_parallelism_at_once(fleet: Fleet, monkeypatch: pytest.MonkeyPatch):
    pools = Pools(monkeypatch)
    ex, _ = executor(parallelism=1)
    gated = {"gates": {"backtest": {"min-sharpe": 1}}}
    ex.run([change("new", Action.CREATE, 1, spec=gated), change("gone", Action.STOP, 2)])
    steps = pools.workers[1::2]  # each phase makes its side pool (health windows), then its pool of steps
    assert steps[:4] == [16, 1, 4, 1]  # compile, preflight, backtest (--max-backtests' default), stop
    pools.workers.clear()
    ex, _ = executor(parallelism=20)
    ex.run([change("new", Action.CREATE, 1)])
    assert pools.workers[1::2][:2] == [20, 20]
    assert all(pools.waited)  # every step and window is through before the next phase


def test_backtests_run_max_backtests_at_once_and_every_health_window_has_its_own_thread(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
):
    pools = Pools(monkeypatch)
    gated = {"gates": {"backtest": {"min-sharpe": 1}}}
    plan = [change(n, Action.CREATE, i, spec=gated) for i, n in enumerate("abc", 1)]
    ex, _ = executor(parallelism=1, max_backtests=3)
    ex.run(plan)
    assert fleet.of("a") == ["compile_step", "preflight_step", "backtest_step", "create_step", "health_step"]
    phases = list(zip(pools.workers[::2], pools.workers[1::2], strict=True))  # (side, steps)
    compile_, preflight, backtest, create = phases[:4]  # no stop: no pool for it
    assert (compile_[1], preflight[1], backtest[1], create) == (16, 1, 3, (3, 1))


def test_change_windows_closed_since_the_apply_began_hold_back_every_change_but_compiles(fleet: Fleet):
    plan = [
        change("swap", Action.REPLACE, 4),
        change("new", Action.CREATE, 1),
        resumed("back", 3),
        resumed("again", 5, restore=True),
        change("gone", Action.STOP, 6),
        build(Action.UPDATE, "meta", desired=desired("meta", pid=7)),
    ]
    ex, lines = executor(window=lambda: "freeze: quarter end")
    results = {r.change.name: r for r in ex.run(plan)}
    held = "held back: the change window closed during the apply (freeze: quarter end)"
    for name in ("swap", "new", "back", "again", "gone", "meta"):
        assert results[name].detail == held and results[name].outcome is Outcome.NOT_ATTEMPTED, name
        assert f"{name}: {held}" in lines
    assert fleet.of("swap") == fleet.of("new") == fleet.of("again") == ["compile_step", "preflight_step"]
    assert fleet.of("gone") == fleet.of("meta") == []


def test_a_replace_whose_stop_was_sent_finishes_though_the_window_closed(fleet: Fleet):
    closes = threading.Event()
    fleet.during[("stop_step", "swap")] = lambda r: closes.set()
    ex, _ = executor(window=lambda: "freeze" if closes.is_set() else "")
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert fleet.of("swap")[-2:] == ["create_step", "health_step"] and r.outcome is Outcome.DONE


def test_a_replace_whose_stop_failed_after_sending_is_brought_back_though_the_window_closed(fleet: Fleet):
    closes = threading.Event()

    def sent_then_closed(r: Result) -> None:
        r.stopped = True
        closes.set()

    fleet.during[("stop_step", "swap")] = sent_then_closed
    fleet.fail[("stop_step", "swap")] = StepFailed("live/update/stop: the connection failed")
    ex, _ = executor(window=lambda: "freeze" if closes.is_set() else "")
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert fleet.of("swap")[-1] == "rollback_step" and r.outcome is Outcome.ROLLED_BACK


def test_a_replace_that_failed_after_its_stop_was_sent_is_brought_back_not_created(fleet: Fleet):
    def sent_then_failed(r: Result) -> None:
        r.stopped = True

    fleet.during[("stop_step", "swap")] = sent_then_failed
    fleet.fail[("stop_step", "swap")] = StepFailed("live/update/stop: the connection failed")
    fleet.fail[("stop_step", "kept")] = StepFailed("live/update/stop: HTTP 400")  # refused: never stopped
    ex, _ = executor()
    swap, kept = ex.run([change("swap", Action.REPLACE, 2), change("kept", Action.REPLACE, 4)])
    assert fleet.of("swap") == ["compile_step", "preflight_step", "stop_step", "rollback_step"]
    assert fleet.why["swap"] == "live/update/stop: the connection failed"
    assert swap.detail == "to c-1: new deployment failed: live/update/stop: the connection failed"
    assert fleet.of("kept") == ["compile_step", "preflight_step", "stop_step"] and kept.outcome is Outcome.FAILED


def test_after_an_interrupt_a_replace_whose_stop_failed_after_sending_is_still_brought_back(fleet: Fleet):
    ex, _ = executor()

    def interrupted_while_stopping(r: Result) -> None:
        r.stopped = True
        ex.interrupted.set()

    fleet.during[("stop_step", "swap")] = interrupted_while_stopping
    fleet.fail[("stop_step", "swap")] = StepFailed("live/update/stop: the connection failed")
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert fleet.of("swap")[-1] == "rollback_step" and r.outcome is Outcome.ROLLED_BACK


def test_a_failed_wave_names_every_change_that_failed_in_it(fleet: Fleet):
    fleet.fail[("create_step", "a")] = StepFailed("no")
    fleet.fail[("create_step", "b")] = StepFailed("no")
    plan = [change("a", Action.REPLACE, 1), change("b", Action.REPLACE, 2), change("c", Action.REPLACE, 3)]
    ex, _ = executor(max_unavailable=2)
    *_, c = ex.run(plan)
    assert c.detail == "rollout halted: a, b failed" and fleet.of("c") == ["compile_step", "preflight_step"]


def test_a_new_deployment_stopped_by_someone_else_is_a_lasting_failure_never_rolled_back(fleet: Fleet):
    why = "D-swap Stopped: stopped by someone else during the health window; not rolled back"
    fleet.fail[("health_step", "swap")] = StoppedOutside(why)
    ex, lines = executor()
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert (r.outcome, r.detail, r.lasting) == (Outcome.FAILED, why, True)
    assert "rollback_step" not in fleet.of("swap") and f"swap: FAILED: {why}" in lines


def test_a_rollback_that_leaves_nothing_running_says_flat(fleet: Fleet, monkeypatch: pytest.MonkeyPatch):
    fleet.fail[("create_step", "swap")] = StepFailed("brokerage refused the login")

    def flat(ctx: Context, r: Result, why: str) -> None:
        r.flat = "no ledger record of what ran before"

    monkeypatch.setattr(executor_mod, "rollback_step", flat)
    ex, lines = executor()
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert r.outcome is Outcome.FAILED and "swap: FLAT: no ledger record of what ran before" in lines
    assert not any("rolled back" in line for line in lines)


def test_a_step_failing_with_an_error_that_is_not_a_step_failure_is_not_lasting(fleet: Fleet):
    fleet.fail[("create_step", "a")] = ApiError("live/create: HTTP 500")
    fleet.fail[("create_step", "b")] = StepFailed("node busy")
    fleet.fail[("create_step", "c")] = StepFailed("build error", lasting=True)
    ex, _ = executor()
    a, b, c = ex.run([change(n, Action.CREATE, i) for i, n in enumerate("abc", 1)])
    assert (a.lasting, b.lasting, c.lasting) == (False, False, True)
    assert a.outcome is b.outcome is c.outcome is Outcome.FAILED


def test_a_step_cut_short_by_an_interrupt_says_so_and_is_no_failure(fleet: Fleet):
    fleet.fail[("create_step", "a")] = Interrupted("interrupted while waiting for D-a to start")
    ex, _ = executor()
    [r] = ex.run([change("a", Action.CREATE, 1)])
    assert (r.outcome, r.detail) == (Outcome.NOT_ATTEMPTED, "interrupted while waiting for D-a to start")


def test_a_change_that_finished_without_words_is_never_called_interrupted(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(executor_mod, "_update_step", lambda ctx, r: setattr(r, "outcome", Outcome.DONE))
    ex, _ = executor()
    [r] = ex.run([build(Action.UPDATE, "meta", desired=desired("meta", pid=7))])
    assert (r.outcome, r.detail) == (Outcome.DONE, "")


def test_a_bug_between_steps_names_what_it_left_unattempted(fleet: Fleet, monkeypatch: pytest.MonkeyPatch):
    def broken(*_: Any) -> Any:
        raise RuntimeError("waves: no node")

    monkeypatch.setattr(executor_mod, "waves", broken)
    ex, _ = executor()
    blocked, swap = ex.run(
        [change("a", Action.CREATE, 1, blocked="node n1 is busy"), change("swap", Action.REPLACE, 2)]
    )
    assert blocked.detail == "blocked: node n1 is busy"
    assert swap.detail == "apply stopped by an unexpected RuntimeError: waves: no node (a bug in qcdeploy)"


def test_a_bug_after_a_stop_names_the_strategy_flat_and_the_journal_keeps_it(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
):
    sent = threading.Event()
    d = desired("swap", pid=2)
    j = JournalEntry("swap", "replace", 2, STOPPING, "2026-12-06T14:02:09Z", entry(d, deploy=""))

    def stopped(r: Result) -> None:
        r.journal = j
        sent.set()

    class Exhausted(ThreadPoolExecutor):
        def __init__(self, max_workers: int | None = None) -> None:
            if sent.is_set():
                raise RuntimeError("can't start new thread")
            super().__init__(max_workers=max_workers)

    fleet.during[("stop_step", "swap")] = stopped
    monkeypatch.setattr(executor_mod, "ThreadPoolExecutor", Exhausted)
    ex, _ = executor()
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert "create_step" not in fleet.of("swap")
    assert r.detail == "apply stopped by an unexpected RuntimeError: can't start new thread (a bug in qcdeploy)"
    assert r.flat.startswith("apply stopped by an unexpected RuntimeError after the stop of L-2 was sent")
    assert "nothing may be running" in r.flat
    [(done, [flat])] = ex.ctx.ledger.settled  # type: ignore[attr-defined]
    assert done == [] and flat.name == "swap" and flat.flat == r.flat


def test_a_create_finishing_an_interrupted_replace_is_created_or_restored_as_asked(fleet: Fleet):
    ex, _ = executor()
    back, again = ex.run([resumed("back", 3), resumed("again", 5, restore=True)])
    assert back.outcome is Outcome.DONE
    assert fleet.of("back") == ["compile_step", "preflight_step", "create_step", "health_step"]
    assert fleet.of("again") == ["compile_step", "preflight_step", "rollback_step"]
    assert fleet.why["again"] == "an interrupted apply left nothing running (--rollback-interrupted)"
    assert (again.outcome, again.detail) == (Outcome.DONE, "redeployed what ran before, to c-1")


def test_a_second_interrupt_leaves_a_stuck_step_behind_and_names_the_strategy_flat(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
):
    ex, _ = executor()
    stopping, waiting, release, ended = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    released: list[bool] = []

    def watched(fs: Any, timeout: float | None = None) -> Any:
        if stopping.is_set():
            waiting.set()
        return wait(fs, timeout=timeout)

    monkeypatch.setattr(executor_mod, "wait", watched)

    def stuck_after_the_stop(r: Result) -> None:
        r.stopped = True
        stopping.set()
        waiting.wait(timeout=5)  # the executor waits on its steps when the second Ctrl-C comes
        ex.interrupted.set()
        ex.abandoned.set()
        released.append(release.wait(timeout=5))  # a request that does not answer
        ended.set()

    fleet.during[("stop_step", "swap")] = stuck_after_the_stop
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    release.set()
    assert r.flat.startswith("apply was interrupted twice after the stop of L-2 was sent")
    assert "nothing may be running" in r.flat
    assert ended.wait(timeout=10) and released == [True]  # run() returned while it was still stuck


def test_the_journal_is_settled_at_the_end_and_a_change_left_in_flight_stays(fleet: Fleet):
    d = desired("swap", pid=2)
    j = JournalEntry("swap", "replace", 2, STOPPING, "2026-12-06T14:02:09Z", entry(d, deploy=""))
    fleet.during[("create_step", "new")] = lambda r: setattr(r, "journal", replace(j, name="new"))
    ex, _ = executor()
    ex.run([change("new", Action.CREATE, 1)])
    assert ex.ctx.ledger.settled == [(["new"], [])]  # type: ignore[attr-defined]

    ex, _ = executor()

    def abandoned_after_the_stop(r: Result) -> None:
        r.journal, r.stopped = j, True
        ex.interrupted.set()
        ex.abandoned.set()

    fleet.during[("stop_step", "swap")] = abandoned_after_the_stop
    [r] = ex.run([change("swap", Action.REPLACE, 2)])
    assert r.flat and ex.ctx.ledger.settled == []  # type: ignore[attr-defined]  # the journal keeps its step


# the steps the executor holds itself


class UpdateCtx:
    def __init__(self) -> None:
        self.entries: list[Any] = []
        self.ledger = self
        self.log = lambda name, message: None

    def put(self, e: Any) -> None:
        self.entries.append(e)


def update(parameter_changes: tuple[FieldChange, ...] = (), project_modified: str = "") -> tuple[Any, Result]:
    d = desired("meta", pid=7, onStop="liquidate", protect=True, parameters={"v": "2"})
    d = replace(d, project=replace(d.project, parameters={"v": "1"}))
    e = entry(d, deploy="L-7", on_stop="stop", protect=False, project_modified=project_modified or "2026-11-01")
    r = Result(build(Action.UPDATE, "meta", desired=d, entry=e, parameter_changes=parameter_changes))
    return UpdateCtx(), r


def test_a_ledger_only_update_records_on_stop_and_protect():
    ctx, r = update()
    executor_mod._update_step(ctx, r)
    [put] = ctx.entries
    assert (put.deploy_id, put.on_stop, put.protect, put.project_modified) == ("L-7", "liquidate", True, "2026-11-01")
    assert (r.outcome, r.detail) == (Outcome.DONE, "ledger updated")


@pytest.mark.parametrize("modified", ["2026-12-06 14:02:09", ""])
def test_an_update_sets_the_project_parameters_back_and_records_the_projects_new_modified(
    monkeypatch: pytest.MonkeyPatch, modified: str
):
    sent: list[tuple[Any, ...]] = []

    def set_parameters(*args: Any) -> str:
        sent.append(args)
        return modified

    monkeypatch.setattr(executor_mod, "set_parameters", set_parameters)
    ctx, r = update((FieldChange(("parameters", "v"), "1", "2"),), project_modified="2026-11-01 00:00:00")
    executor_mod._update_step(ctx, r)
    assert sent == [(ctx, "meta", 7, {"v": "1"}, {"v": "2"})]
    [put] = ctx.entries
    assert put.project_modified == (modified or "2026-11-01 00:00:00") and put.on_stop == "liquidate"
    assert (r.outcome, r.detail) == (Outcome.DONE, "project parameters set back, no redeploy")


def left_down(**fields: Any) -> Result:
    r = Result(change("swap", Action.REPLACE, 2), **fields)
    executor_mod._left_down([r], "apply was interrupted twice")
    return r


def test_after_a_second_interrupt_only_a_stopped_strategy_with_nothing_sent_is_named_flat():
    flat = left_down(stopped=True, outcome=Outcome.FAILED)
    assert flat.flat.startswith("apply was interrupted twice after the stop of L-2 was sent")
    assert "replaced it; nothing may be running. `qcdeploy apply` finishes the change (the journal" in flat.flat
    assert not left_down(stopped=True, deploy_id="D-1").flat
    assert not left_down(stopped=True, outcome=Outcome.DONE).flat
    assert not left_down(stopped=True, outcome=Outcome.ROLLED_BACK).flat
    assert not left_down(outcome=Outcome.FAILED).flat
    assert left_down(stopped=True, flat="rollback failed").flat == "rollback failed"
    r = Result(resumed("back", 3), stopped=True)
    executor_mod._left_down([r], "apply was interrupted twice")
    assert "after the stop of its deployment was sent" in r.flat


def rolled_back(monkeypatch: pytest.MonkeyPatch, then: Callable[[Result], None]) -> tuple[Result, list[Any]]:
    calls: list[Any] = []

    def rollback_step(ctx: Any, r: Result, why: str) -> None:
        calls.append((ctx, r, why))
        then(r)

    monkeypatch.setattr(executor_mod, "rollback_step", rollback_step)
    return Result(resumed("back", 3, restore=True), detail="before"), calls


def test_rollback_interrupted_redeploys_what_ran_before_as_done(monkeypatch: pytest.MonkeyPatch):
    def back(r: Result) -> None:
        r.outcome, r.detail = Outcome.ROLLED_BACK, "to c-1: new deployment failed: why"

    r, calls = rolled_back(monkeypatch, back)
    ctx = object()
    executor_mod._restore_interrupted(ctx, r)  # type: ignore[arg-type]
    assert calls == [(ctx, r, "an interrupted apply left nothing running (--rollback-interrupted)")]
    assert (r.outcome, r.detail) == (Outcome.DONE, "redeployed what ran before, to c-1")


def test_rollback_interrupted_that_leaves_nothing_running_fails_saying_flat(monkeypatch: pytest.MonkeyPatch):
    r, _ = rolled_back(monkeypatch, lambda r: setattr(r, "flat", "PW is not set"))
    executor_mod._restore_interrupted(object(), r)  # type: ignore[arg-type]
    assert (r.outcome, r.detail) == (Outcome.FAILED, "PW is not set")
    r, _ = rolled_back(monkeypatch, lambda r: None)
    executor_mod._restore_interrupted(object(), r)  # type: ignore[arg-type]
    assert (r.outcome, r.detail) == (Outcome.NOT_ATTEMPTED, "before")


def test_a_replace_broken_after_its_stop_is_rolled_back_with_its_failure_as_the_reason(
    monkeypatch: pytest.MonkeyPatch,
):
    r, calls = rolled_back(monkeypatch, lambda r: None)
    ctx = object()
    executor_mod._restore(ctx, r)  # type: ignore[arg-type]
    assert calls == [(ctx, r, "before")]


def test_the_line_logger_prefixes_the_name_and_scrubs_secrets():
    said: list[str] = []
    executor_mod.line_logger(said.append)("alpha", "cloning https://ci:hunter2@git.example.com refused")
    assert said == [f"alpha: cloning https://ci:{redact.SENSITIVE}@git.example.com refused"]


# what every step shares, and how a step says it failed


class ReadApi:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[tuple[int, str | None]] = []

    def live_read(self, pid: int, deploy_id: str | None = None) -> Any:
        self.asked.append((pid, deploy_id))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def context(api: Any, lines: list[str] | None = None) -> Context:
    clock = lambda: 5.0  # noqa: E731
    said = lines if lines is not None else []
    return Context(
        api,
        None,  # type: ignore[arg-type]
        Poller(0.5, clock=clock),
        lambda name, message: said.append(f"{name}: {message}"),
        now=lambda: datetime(2026, 12, 6, 14, 2, 9, tzinfo=timezone.utc),
    )


def test_the_context_reads_a_deployment_of_the_project_asked_for():
    api = ReadApi({"deployId": "L-7", "status": "Running"})  # live/read may leave projectId out
    ctx = context(api)
    assert ctx.board.api is api  # type: ignore[comparison-overlap]  # a fake of the API
    assert (ctx.board.fresh, ctx.board.clock()) == (0.5, 5.0)
    got = ctx.read(7, "L-7")
    assert (got.project_id, got.deploy_id, got.status) == (7, "L-7", "Running") and api.asked == [(7, "L-7")]
    maybe = ctx.read_or_none(7, "L-7")
    assert maybe is not None and (maybe.project_id, maybe.deploy_id) == (7, "L-7") and api.asked[-1] == (7, "L-7")
    assert context(ReadApi(ApiError("live/read: HTTP 500"))).read_or_none(7) is None


def test_the_context_says_how_long_a_wait_lasts_and_stamps_utc():
    lines: list[str] = []
    ctx = context(object(), lines)
    ctx.progress(Result(change("alpha", Action.CREATE, 1)), "L-7 to start")(61.4)
    assert lines == ["alpha: still waiting for L-7 to start (61s)"]
    assert ctx.stamp() == "2026-12-06T14:02:09Z"


def test_a_step_failure_is_not_lasting_unless_said():
    assert StepFailed("node busy").lasting is False


def test_a_deployment_stopped_outside_says_it_is_not_rolled_back_and_not_recorded():
    outside = stopped_outside("L-new", LiveDeployment(1, "L-new", "Liquidated"), "during the health window")
    assert outside is not None and outside.lasting
    said = str(outside)
    assert said.startswith("L-new Liquidated: stopped by someone else during the health window; not rolled back")
    assert "nothing is recorded as running, and the next plan shows it as stopped outside qcdeploy" in said
    assert stopped_outside("L-new", LiveDeployment(1, "L-new", "RuntimeError"), "at once") is None


def test_a_restart_of_a_crashed_deployment_is_not_rolled_back_to_it(fleet: Fleet):
    d = desired("alpha", pid=1)
    crashed = Create(name="alpha", reasons=(Reason(Why.CRASHED, "L-1 ended RuntimeError"),), desired=d, entry=entry(d))
    fleet.fail[("create_step", "alpha")] = StepFailed("node busy")
    ex, _ = executor()
    [r] = ex.run([crashed])
    assert (r.outcome, r.detail) == (Outcome.FAILED, "node busy") and "rollback_step" not in fleet.of("alpha")
