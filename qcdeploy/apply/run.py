"""One apply from a plan: every gate checked before anything is touched, the user asked, then the executor.

`apply_plan` is what `qcdeploy apply` does once it holds a plan and the ledger's lock; tests call it directly.
The gates, in order, each refusing the whole plan with PlanRefused and nothing changed: the safety limits, the
change windows, the environment's promotion gate, the confirmation. A window override is recorded in the ledger's
history once every gate has passed and before the first step: an apply refused by a later gate overrode nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from qcdeploy.apply import journaling
from qcdeploy.apply.context import Context
from qcdeploy.apply.executor import Executor
from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.errors import PlanRefused
from qcdeploy.model import LiveState, Plan
from qcdeploy.planning import safety
from qcdeploy.planning.safety import Limits


@dataclass(frozen=True)
class Window:
    """The change windows now: why changes are not allowed ("" when they are) and when they next are."""

    closed: str = ""
    next_open: str = ""
    now: Callable[[], str] | None = None  # why changes are not allowed at this moment: asked before each change


@dataclass(frozen=True)
class Promotion:
    """The environment's paper-first gate: what it asks ("" for none), what keeps the plan from passing, notes."""

    gate: str = ""
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    saved: str = ""  # the command that applies the saved plan being carried out: a refusal is a wait, not staleness


@dataclass(frozen=True)
class Gates:
    """Everything apply checks before the first step."""

    limits: Limits = field(default_factory=Limits)
    window: Window = field(default_factory=Window)
    promotion: Promotion = field(default_factory=Promotion)


@dataclass(frozen=True)
class Applied:
    results: list[Result] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.DONE for r in self.results)


Guard = Callable[[threading.Event, threading.Event], AbstractContextManager[None]]


def _unguarded(_: threading.Event, __: threading.Event) -> AbstractContextManager[None]:
    return nullcontext()


def apply_plan(
    plan: Plan,
    state: LiveState,
    gates: Gates,
    ctx: Context,
    confirm: Callable[[], None],
    warn: Callable[[str], None],
    guard: Guard = _unguarded,
) -> Applied:
    """Check every gate, ask, carry the plan out. `state` is what the plan was made from; `guard` wraps the run
    with whatever sets the interrupt flags it is given, first and second (the CLI's signal handlers)."""
    if not plan.has_changes:
        journaling.settle_resumed(ctx, plan, [])
        return Applied()
    safety.check(plan, state, ctx.ledger.entries, gates.limits)
    override = _check_window(gates.window, gates.limits.ignore_windows, warn)
    _check_promotion(gates.promotion, warn)
    confirm()
    if override is not None:
        ctx.ledger.note({"at": ctx.stamp(), **override})
    executor = Executor(ctx, window=_open if gates.limits.ignore_windows is not None else gates.window.now or _open)
    with guard(executor.interrupted, executor.abandoned):
        results = executor.run(plan.changes)
    journaling.settle_resumed(ctx, plan, results)
    return Applied(results, executor.interrupted.is_set())


def _open() -> str:
    return ""


def _check_window(window: Window, override: str | None, warn: Callable[[str], None]) -> dict[str, str] | None:
    """Outside the change windows apply refuses before any step, unless overridden with a reason: the history
    event to record then, else None."""
    if not window.closed:
        return None
    if override is None:
        raise PlanRefused(
            f"refusing to apply: changes are not allowed now ({window.closed}); next allowed: {window.next_open}. "
            "Nothing was changed (--ignore-windows --reason TEXT to override)"
        )
    warn(f"Warning: applying outside the change windows ({window.closed}); reason recorded: {override}")
    return {"event": "change window overridden", "closed": window.closed, "reason": override}


def _check_promotion(promotion: Promotion, warn: Callable[[str], None]) -> None:
    """An environment with a paper-first gate takes only specs that have run healthy in its source first."""
    for note in promotion.notes:
        warn(f"Note: {note}")
    if promotion.missing and promotion.saved:
        raise PlanRefused(
            f"waiting for promotion: the saved plan is still current, but this environment deploys only what has run "
            f"Running in {promotion.gate} first; " + "; ".join(promotion.missing) + ". Nothing was changed; "
            f"run `{promotion.saved}` again once that holds (while the plan is still current)"
        )
    if promotion.missing:
        raise PlanRefused(
            f"refusing to apply: this environment deploys only what has run Running in {promotion.gate} first; "
            + "; ".join(promotion.missing)
            + ". Nothing was changed"
        )
