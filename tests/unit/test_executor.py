"""The executor's order and containment, with its steps replaced by recorders: nothing stops before its successor
compiled and passed preflight, a replace that failed after its stop is rolled back, a failed wave halts the rest,
one change's failure (or bug) never stops the others, and an interrupt starts nothing new but finishes a replace
whose old deployment is gone."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest

from qcdeploy.apply import executor as executor_mod
from qcdeploy.apply.context import ApplyOptions, Context
from qcdeploy.apply.executor import Executor
from qcdeploy.apply.outcome import Outcome, Result, StepFailed
from qcdeploy.apply.waiting import Poller
from qcdeploy.model import Action, Change
from tests.builders import N1, N2, desired, live
from tests.builders import change as build

STEPS = ("compile_step", "preflight_step", "stop_step", "create_step", "rollback_step", "_update_step")


class Steps:
    """Each step records (step, change) in order and fails where told to."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.done: list[tuple[str, str]] = []
        self.fail: dict[tuple[str, str], Exception] = {}
        self.during: dict[tuple[str, str], Callable[[], None]] = {}
        self._lock = threading.Lock()
        for name in STEPS:
            monkeypatch.setattr(executor_mod, name, self._recorder(name))

    def _recorder(self, step: str) -> Callable[..., None]:
        def run(ctx: Context, r: Result, *why: Any) -> None:
            key = (step.strip("_"), r.change.name)
            with self._lock:
                self.done.append(key)
            self.during.get(key, lambda: None)()
            if key in self.fail:
                raise self.fail[key]
            if step == "stop_step":
                r.stopped = True
            elif step == "create_step" or step == "_update_step":
                r.outcome = Outcome.DONE
            elif step == "rollback_step":
                r.outcome, r.detail = Outcome.ROLLED_BACK, f"to the old deployment: {why[0]}"

        return run

    def of(self, name: str) -> list[str]:
        return [step for step, n in self.done if n == name]


def change(name: str, action: Action, pid: int, blocked: str = "") -> Change:
    d = desired(name, pid=pid, node=N1 if pid % 2 else N2)
    if action in (Action.REPLACE, Action.STOP):
        return build(action, name, desired=d, observed=live(pid, f"L-{pid}"), blocked=blocked)
    return build(action, name, desired=d, blocked=blocked)


def run(changes: list[Change], **options: Any) -> tuple[list[Result], Executor, list[str]]:
    lines: list[str] = []
    ctx = Context(
        object(),  # type: ignore[arg-type]  # the recorders never call the API
        None,  # type: ignore[arg-type]
        Poller(0.01),
        lambda name, message: lines.append(f"{name}: {message}"),
        ApplyOptions(**{"parallelism": 2, **options}),
    )
    ex = Executor(ctx)
    return ex.run(changes), ex, lines


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Steps:
    return Steps(monkeypatch)


def test_phases_run_in_order_compile_preflight_stops_replaces_creates_updates(steps: Steps):
    plan = [
        change("new", Action.CREATE, 1),
        change("swap", Action.REPLACE, 2),
        change("gone", Action.STOP, 3),
        change("meta", Action.UPDATE, 4),
    ]
    results, _, _ = run(plan)
    assert all(r.outcome is Outcome.DONE for r in results if r.change.creates or r.change.action is Action.UPDATE)
    first = {key: i for i, key in reversed(list(enumerate(steps.done)))}
    order = [
        {("compile_step", "new"), ("compile_step", "swap")},
        {("preflight_step", "new"), ("preflight_step", "swap")},
        {("stop_step", "gone")},
        {("stop_step", "swap")},
        {("create_step", "swap")},
        {("create_step", "new")},
        {("update_step", "meta")},
    ]
    for earlier, later in itertools.pairwise(order):
        assert max(first[k] for k in earlier) < min(first[k] for k in later), (earlier, later)
    assert steps.of("swap") == ["compile_step", "preflight_step", "stop_step", "create_step"]


@pytest.mark.parametrize("failing", ["compile_step", "preflight_step"])
def test_a_replace_whose_successor_is_not_ready_stops_nothing(steps: Steps, failing: str):
    steps.fail[(failing, "swap")] = StepFailed("build error", lasting=True)
    [r], _, _ = run([change("swap", Action.REPLACE, 2)])
    assert r.outcome is Outcome.FAILED and r.detail == "build error" and r.lasting
    assert "stop_step" not in steps.of("swap") and not r.stopped


def test_a_create_that_fails_after_the_stop_is_rolled_back(steps: Steps):
    steps.fail[("create_step", "swap")] = StepFailed("brokerage refused the login")
    [r], _, lines = run([change("swap", Action.REPLACE, 2)])
    assert steps.of("swap")[-2:] == ["create_step", "rollback_step"]
    assert r.outcome is Outcome.ROLLED_BACK and r.detail == "to the old deployment: brokerage refused the login"
    assert "swap: FAILED: brokerage refused the login" in lines


def test_a_bug_in_a_create_after_the_stop_still_rolls_back(steps: Steps):
    steps.fail[("create_step", "swap")] = KeyError("deployId")
    [r], _, _ = run([change("swap", Action.REPLACE, 2)])
    assert r.outcome is Outcome.ROLLED_BACK and "unexpected KeyError" in r.detail


def test_a_failed_wave_halts_the_waves_after_it(steps: Steps):
    steps.fail[("create_step", "a")] = StepFailed("no")
    plan = [change("a", Action.REPLACE, 1), change("b", Action.REPLACE, 2), change("c", Action.REPLACE, 3)]
    results, _, _ = run(plan, max_unavailable=1)
    assert [r.outcome for r in results] == [Outcome.ROLLED_BACK, Outcome.NOT_ATTEMPTED, Outcome.NOT_ATTEMPTED]
    assert {r.detail for r in results[1:]} == {"rollout halted: a failed"}
    assert "stop_step" not in steps.of("b") + steps.of("c")


def test_one_change_failing_or_a_bug_in_it_does_not_stop_the_others(steps: Steps):
    steps.fail[("create_step", "a")] = StepFailed("node busy")
    steps.fail[("create_step", "b")] = ZeroDivisionError("oops")
    results, _, _ = run([change(n, Action.CREATE, i) for i, n in enumerate("abc", 1)])
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED, Outcome.DONE]
    assert results[1].detail == "unexpected ZeroDivisionError: oops (a bug in qcdeploy)"


def test_a_blocked_change_fails_at_once_and_runs_no_step(steps: Steps):
    [r], _, _ = run([change("a", Action.CREATE, 1, blocked="node n1 is busy")])
    assert (r.outcome, r.detail, r.lasting) == (Outcome.FAILED, "blocked: node n1 is busy", True)
    assert steps.done == []


def test_an_interrupt_starts_nothing_new_but_finishes_a_replace_already_stopped(steps: Steps):
    plan = [change("swap", Action.REPLACE, 2), change("new", Action.CREATE, 1)]
    flag: list[threading.Event] = []
    steps.during[("stop_step", "swap")] = lambda: flag[0].set()  # Ctrl-C while the old deployment stops
    lines: list[str] = []
    ctx = Context(object(), None, Poller(0.01), lambda n, m: lines.append(m), ApplyOptions(parallelism=2))  # type: ignore[arg-type]
    ex = Executor(ctx)
    flag.append(ex.interrupted)
    swap, new = ex.run(plan)
    assert swap.outcome is Outcome.DONE and steps.of("swap")[-1] == "create_step"  # never left flat
    assert new.outcome is Outcome.NOT_ATTEMPTED and new.detail == "interrupted before it started"
    assert "create_step" not in steps.of("new")
