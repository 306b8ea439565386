"""apply_plan's gates with the executor replaced by a recorder: the safety limits, the change windows and the
promotion gate each refuse before the question is asked and before anything runs; a window override is recorded
after the yes and before the first step; the executor gets the context, the window check (none when
overridden) and its interrupt flags go to the guard; journal entries the plan named as interrupted are settled."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import pytest

from qcdeploy.apply import run as run_mod
from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.apply.run import Applied, Gates, Promotion, Window, apply_plan
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import PlanRefused
from qcdeploy.model import Action, Change, Interruption, LiveState, Plan
from qcdeploy.planning.safety import Limits
from tests.builders import change as build
from tests.builders import desired, entry, live, state

NOW = datetime(2026, 12, 6, 14, 2, 9, tzinfo=timezone.utc)


class Ledger:
    def __init__(self, events: list[Any], entries: dict[str, Any] | None = None) -> None:
        self.events, self.entries = events, entries or {}

    def note(self, event: dict[str, str]) -> None:
        self.events.append(("note", event))

    def settle(self, done: list[str], flat: Any = ()) -> None:
        self.events.append(("settle", list(done)))


MADE: list[Executor] = []


class Executor:
    """Records what apply_plan hands it; every change ends DONE."""

    def __init__(self, ctx: Context, window: Any) -> None:
        self.ctx, self.window = ctx, window
        self.interrupted, self.abandoned = threading.Event(), threading.Event()
        MADE.append(self)

    def run(self, changes: Any) -> list[Result]:
        self.ctx.ledger.events.append("run")  # type: ignore[attr-defined]
        return [Result(c, outcome=Outcome.DONE) for c in changes]


@pytest.fixture(autouse=True)
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    MADE.clear()
    monkeypatch.setattr(run_mod, "Executor", Executor)
    yield


class Apply:
    """One call of apply_plan, with what it said and did in order."""

    def __init__(self, ledger_entries: dict[str, Any] | None = None) -> None:
        self.events: list[Any] = []
        self.ctx = Context(
            object(),  # type: ignore[arg-type]
            Ledger(self.events, ledger_entries),  # type: ignore[arg-type]
            Poller(0.01),
            lambda name, message: None,
            now=lambda: NOW,
        )

    def __call__(self, plan: Plan, gates: Gates | None = None, now: LiveState | None = None, **kw: Any) -> Applied:
        return apply_plan(
            plan,
            now or state(),
            gates or Gates(),
            self.ctx,
            confirm=lambda: self.events.append("confirm"),
            warn=lambda text: self.events.append(("warn", text)),
            **kw,
        )


def create(name: str = "alpha", pid: int = 1) -> Change:
    return build(Action.CREATE, name, desired=desired(name, pid=pid))


def test_a_plan_without_changes_asks_nothing_and_settles_what_the_journal_held():
    apply = Apply()
    done = Interruption("alpha", "an apply died after creating L-new", False, "watching", "", settled=True)
    applied = apply(Plan((), interrupted=(done,)))
    assert applied.results == [] and not applied.interrupted
    assert apply.events == [("settle", ["alpha"])] and MADE == []


def test_the_safety_limits_refuse_before_the_question_with_the_live_state_and_the_ledger():
    a, b = desired("a", pid=1), desired("b", pid=2)
    ledger = {"a": entry(a, deploy="L-1"), "b": entry(b, deploy="L-2")}
    stops = tuple(
        build(Action.STOP, d.name, desired=d, observed=live(d.project.project_id, f"L-{i}"))
        for i, d in [(1, a), (2, b)]
    )
    apply = Apply(ledger)
    with pytest.raises(PlanRefused, match="leaving none running"):
        apply(Plan(stops), now=state(live(1, "L-1"), live(2, "L-2")))
    with pytest.raises(PlanRefused, match="more than --max-stops 1"):
        apply(
            Plan(stops), Gates(limits=Limits(allow_empty=True, max_stops=1)), now=state(live(1, "L-1"), live(2, "L-2"))
        )
    assert apply.events == [] and MADE == []


def test_closed_change_windows_refuse_saying_when_they_open_and_that_nothing_changed():
    apply = Apply()
    with pytest.raises(PlanRefused) as refused:
        apply(Plan((create(),)), Gates(window=Window("freeze: quarter end", "2027-01-04 09:30 America/New_York")))
    assert str(refused.value).startswith(
        "refusing to apply: changes are not allowed now (freeze: quarter end); next allowed: 2027-01-04 09:30"
    )
    assert str(refused.value).endswith("Nothing was changed (--ignore-windows --reason TEXT to override)")
    assert apply.events == []


def test_an_override_is_warned_recorded_after_the_yes_and_no_window_holds_the_steps_back():
    apply = Apply()
    window = Window("freeze: quarter end", "2027-01-04", now=lambda: "freeze: quarter end")
    applied = apply(Plan((create(),)), Gates(limits=Limits(ignore_windows="hotfix for a bad fill"), window=window))
    note = {"at": "2026-12-06T14:02:09Z", "event": "change window overridden", "closed": "freeze: quarter end"}
    assert apply.events == [
        (
            "warn",
            "Warning: applying outside the change windows (freeze: quarter end); reason recorded: "
            "hotfix for a bad fill",
        ),
        "confirm",
        ("note", {**note, "reason": "hotfix for a bad fill"}),
        "run",
    ]
    [ex] = MADE
    assert ex.window() == "" and applied.ok


def test_the_executor_asks_the_windows_before_each_change_and_nothing_is_noted_while_they_are_open():
    apply = Apply()
    asks = lambda: "closed since"  # noqa: E731
    apply(Plan((create(),)), Gates(window=Window(now=asks)))
    apply(Plan((create(),)))
    first, second = MADE
    assert first.ctx is apply.ctx and first.window is asks and second.window() == ""
    assert apply.events == ["confirm", "run", "confirm", "run"]


def test_the_promotion_gate_notes_and_refuses_naming_what_is_missing():
    apply = Apply()
    gate = Promotion("paper", ("alpha has not run in paper", "beta ran 2 h of 24 h"), ("gamma: first deployment",))
    with pytest.raises(PlanRefused) as refused:
        apply(Plan((create(),)), Gates(promotion=gate))
    assert str(refused.value) == (
        "refusing to apply: this environment deploys only what has run Running in paper first; alpha has not run in "
        "paper; beta ran 2 h of 24 h. Nothing was changed"
    )
    assert apply.events == [("warn", "Note: gamma: first deployment")]


def test_a_saved_plan_waiting_for_promotion_says_to_run_it_again_and_a_passed_gate_goes_on():
    apply = Apply()
    waiting = Promotion("paper", ("alpha has not run in paper", "beta ran 2 h"), saved="qcdeploy apply plan.json")
    with pytest.raises(PlanRefused) as refused:
        apply(Plan((create(),)), Gates(promotion=waiting))
    said = str(refused.value)
    assert said.startswith("waiting for promotion: the saved plan is still current, but this environment deploys ")
    assert "in paper first; alpha has not run in paper; beta ran 2 h. Nothing was changed; run `qcdeploy apply" in said
    assert apply(Plan((create(),)), Gates(promotion=Promotion("paper", saved="qcdeploy apply plan.json"))).ok


def test_the_guard_gets_the_executors_interrupt_flags_and_resumed_changes_are_settled():
    apply = Apply()
    guarded: list[tuple[threading.Event, threading.Event]] = []

    @contextmanager
    def guard(first: threading.Event, second: threading.Event) -> Iterator[None]:
        guarded.append((first, second))
        first.set()
        yield

    resumed = Interruption("alpha", "an apply died after creating L-new", False, "watching", "")
    plan = Plan((create("alpha"), create("beta", 2)), interrupted=(resumed,))
    applied = apply(plan, guard=guard)
    [ex] = MADE
    assert guarded == [(ex.interrupted, ex.abandoned)] and applied.interrupted
    assert [r.change.name for r in applied.results] == ["alpha", "beta"]
    assert apply.events == ["confirm", "run", ("settle", ["alpha"])]
