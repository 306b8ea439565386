"""Carries out a Plan in phases over a pool of workers; replaces go in waves and halt on a failure.

Order: compile every create, up to COMPILES at once (a broken build never stops anything); preflight every
create (nothing stops unless its successor can be sent); plain stops; replaces in waves of --max-unavailable,
each wave stopping its members and then creating them, rolling back any that does not come up; plain
creates; ledger-only updates.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace

from qcdeploy.apply import journaling
from qcdeploy.apply.backtesting import backtest_step, gated
from qcdeploy.apply.compiling import compile_step
from qcdeploy.apply.context import Context
from qcdeploy.apply.creating import Unrecorded, create_step, health_step, set_parameters
from qcdeploy.apply.ending import StoppedOutside
from qcdeploy.apply.outcome import Interrupted, Outcome, Result, StepFailed
from qcdeploy.apply.preflight import preflight_step
from qcdeploy.apply.rollback import rollback_step
from qcdeploy.apply.stopping import stop_step
from qcdeploy.apply.waves import waves
from qcdeploy.errors import QcdeployError
from qcdeploy.model import Action, Change, Create, Update, Why
from qcdeploy.redact import scrub

Step = Callable[[Context, Result], None]
COMPILES = 16  # compiles in flight at once, whatever --parallelism (it bounds deployments changing at once)


@dataclass
class Executor:
    """Independent changes run concurrently; the steps of one change always stay in order."""

    ctx: Context
    window: Callable[[], str] = field(default=lambda: "")  # why the change windows are closed now ("" open)
    interrupted: threading.Event = field(init=False)
    abandoned: threading.Event = field(init=False)

    def __post_init__(self) -> None:
        self.interrupted = self.ctx.poller.cancel  # one flag stops new steps and cuts waits short
        self.abandoned = self.ctx.poller.abandon  # a second interrupt: no step goes on, no wait is finished

    def run(self, changes: Iterable[Change]) -> list[Result]:
        results = [Result(c) for c in changes]
        try:
            self._run(results)
        except Exception as exc:  # a bug between steps: what happened so far is still reported
            for r in results:
                if r.outcome is Outcome.NOT_ATTEMPTED:
                    r.detail = f"apply stopped by an unexpected {type(exc).__name__}: {exc} (a bug in qcdeploy)"
            _left_down(results, f"apply stopped by an unexpected {type(exc).__name__}")
        if self.abandoned.is_set():
            _left_down(results, "apply was interrupted twice")
        journaling.settle(self.ctx, results, abandoned=self.abandoned.is_set())
        return results

    def _run(self, results: list[Result]) -> None:
        for r in results:
            if r.change.blocked:
                self._fail(r, f"blocked: {r.change.blocked}")
                r.lasting = True
        runnable = [r for r in results if not r.change.blocked]
        creating = [r for r in runnable if r.change.creates]
        # compiles change nothing that trades: they need not wait for --parallelism's turn
        self._phase(creating, compile_step, workers=max(self.ctx.options.parallelism, COMPILES))
        self._phase([r for r in creating if r.ok], preflight_step)
        gated_ = [r for r in creating if r.ok and gated(r)]  # evidence before money: before any stop
        self._phase(gated_, backtest_step, workers=self.ctx.options.max_backtests)
        self._phase([r for r in runnable if r.change.stops and not r.change.creates], stop_step, live=True)
        self._roll_out([r for r in creating if r.change.action is Action.REPLACE and r.ok])
        plain = [r for r in creating if r.change.action is Action.CREATE and r.ok]
        self._creates([r for r in plain if not _resumes(r)], live=True)
        # a create that finishes an interrupted replace has what ran before to go back to, as a replace has
        self._creates([r for r in plain if _resumes(r) and not _restores(r)], rolls_back=True, live=True)
        self._phase([r for r in plain if _restores(r)], _restore_interrupted, live=True)
        self._phase([r for r in runnable if r.change.action is Action.UPDATE], _update_step, live=True)
        for r in results:
            if r.outcome is Outcome.NOT_ATTEMPTED and self.interrupted.is_set() and not r.detail:
                r.detail = "interrupted before it started"

    def _roll_out(self, replaces: Sequence[Result]) -> None:
        """Wave after wave; a wave with a failure halts the rollout (Argo CD's and Kubernetes' maxUnavailable)."""
        planned = iter(waves(replaces, self.ctx.options.max_unavailable or self.ctx.options.parallelism))
        for wave in planned:
            self._phase(wave, stop_step, live=True)
            # a replace whose old deployment is gone is finished even after an interrupt: never leave it flat
            broken = [r for r in wave if r.stopped and not r.ok]  # failed after its stop was sent, before a create
            self._creates([r for r in wave if r.stopped and r.ok], rolls_back=True)
            self._phase(broken, _restore)
            failed = [r.change.name for r in wave if not r.ok]
            if failed:
                for r in itertools.chain.from_iterable(planned):
                    r.detail = f"rollout halted: {', '.join(failed)} failed"

    def _or_roll_back(self, step: Step) -> Step:
        """The step of a change whose old deployment is gone (a replace, or the finish of an interrupted one):
        any failure rolls it back to what ran before, or says FLAT."""

        def run(ctx: Context, r: Result) -> None:
            try:
                step(ctx, r)
                return
            except Interrupted:
                raise
            except StoppedOutside as exc:  # someone's decision: undoing it would undo an emergency stop
                self._fail(r, str(exc))
                r.lasting = True
                return
            except Unrecorded as exc:  # the new deployment runs: a rollback would stop it (adopt records it)
                self._fail(r, str(exc))
                r.lasting = True  # `adopt` records it, once the ledger can be written: a re-run alone does not
                return
            except QcdeployError as exc:
                why = str(exc)
            except Exception as exc:  # a bug must not leave the strategy flat either
                why = f"unexpected {type(exc).__name__}: {exc}"
            self._fail(r, why)
            rollback_step(ctx, r, why)
            if r.outcome is Outcome.ROLLED_BACK:
                ctx.log(r.change.name, f"rolled back {r.detail}")
            elif r.flat:
                ctx.log(r.change.name, f"FLAT: {r.flat}")

        return run

    def _creates(self, results: list[Result], rolls_back: bool = False, live: bool = False) -> None:
        """Creates, up to --parallelism at once until each runs; then each one's health window, side by side and
        outside those slots (a deployment that runs is not changing any more). A new create (`live`) is held
        back by a change window that closed since the apply began; a replace's, under way, finishes."""
        create: Step = create_step
        window: Step = health_step
        if rolls_back:
            create, window = self._or_roll_back(create_step), self._or_roll_back(health_step)
        self._phase(results, create, then=window, live=live)

    def _phase(
        self,
        results: list[Result],
        step: Step,
        workers: int = 0,
        live: bool = False,
        then: Step | None = None,
    ) -> None:
        """`step` for each, `workers` (default --parallelism) at once; `then`, once its step is through, for each,
        all at once (health_step skips a change whose window is not due). After an interrupt only a change whose old
        deployment is gone goes on. `live`: the step starts changing a live deployment, which a change window that
        has closed since the apply began holds back (a change already under way finishes)."""
        if not results:
            return
        side = ThreadPoolExecutor(max_workers=len(results))  # its threads start only when given work

        def guarded(r: Result) -> None:
            if self.abandoned.is_set() or (self.interrupted.is_set() and not r.stopped):
                return
            if live and self._held_back(r):
                return
            self._guard(r, step)
            if then is not None:
                side.submit(self._guard, r, then)

        pool = ThreadPoolExecutor(max_workers=max(1, workers or self.ctx.options.parallelism))
        self._await([pool.submit(guarded, r) for r in results])
        pool.shutdown(wait=not self.abandoned.is_set())
        side.shutdown(wait=not self.abandoned.is_set())

    def _held_back(self, r: Result) -> bool:
        """The change windows closed since the apply began: a change not yet under way waits for the next apply."""
        closed = self.window()
        if closed:
            r.detail = f"held back: the change window closed during the apply ({closed})"
            self.ctx.log(r.change.name, r.detail)
        return bool(closed)

    def _await(self, futures: list[Future[None]]) -> None:
        """Until every step is through; after a second interrupt, not a moment longer (a step stuck in a request
        is left behind: the summary is printed and the process exits without it)."""
        pending = set(futures)
        while pending and not self.abandoned.is_set():
            _, pending = wait(pending, timeout=0.25)

    def _guard(self, r: Result, step: Step) -> None:
        if self.abandoned.is_set():
            return
        try:
            step(self.ctx, r)
        except Interrupted as exc:
            r.detail = str(exc)
        except QcdeployError as exc:
            self._fail(r, str(exc))
            r.lasting = isinstance(exc, StepFailed) and exc.lasting
        except Exception as exc:  # contained: one change fails, the apply and its summary go on
            self._fail(r, f"unexpected {type(exc).__name__}: {exc} (a bug in qcdeploy)")

    def _fail(self, r: Result, detail: str) -> None:
        r.outcome, r.detail = Outcome.FAILED, detail
        self.ctx.log(r.change.name, f"FAILED: {detail}")


def _left_down(results: Sequence[Result], why: str) -> None:
    """After a second interrupt, or a bug between steps: every strategy whose old deployment was (or may have
    been) stopped and whose successor was never sent is named FLAT; the journal keeps the change for the next
    apply to finish."""
    for r in results:
        if r.stopped and not r.flat and not r.deploy_id and r.outcome not in (Outcome.DONE, Outcome.ROLLED_BACK):
            stopped = r.change.observed.deploy_id if r.change.observed is not None else "its deployment"
            r.flat = (
                f"{why} after the stop of {stopped} was sent and before anything replaced it; "
                "nothing may be running. `qcdeploy apply` finishes the change (the journal holds it)"
            )


def _resumes(r: Result) -> bool:
    return r.change.entry is not None and any(x.why is Why.INTERRUPTED for x in r.change.reasons)


def _restores(r: Result) -> bool:
    return isinstance(r.change, Create) and r.change.restore


def _restore_interrupted(ctx: Context, r: Result) -> None:
    """--rollback-interrupted: what ran before the interrupted replace is deployed again (or FLAT, saying why)."""
    rollback_step(ctx, r, "an interrupted apply left nothing running (--rollback-interrupted)")
    if r.outcome is Outcome.ROLLED_BACK:  # asked for: done, not a failure
        r.outcome, r.detail = Outcome.DONE, f"redeployed what ran before, {r.detail.split(':')[0]}"
    elif r.flat:
        r.outcome, r.detail = Outcome.FAILED, r.flat


def _restore(ctx: Context, r: Result) -> None:
    """A replace that failed after its stop was sent, before any create: bring back what ran, or say FLAT."""
    rollback_step(ctx, r, r.detail)


def _update_step(ctx: Context, r: Result) -> None:
    """In place: project parameters set back to the manifest's (the running algorithm keeps its own), ledger
    metadata (protect, onStop)."""
    c = r.change
    assert isinstance(c, Update)
    spec, entry = c.desired.manifest.spec, c.entry
    if c.parameter_changes:
        pid = c.desired.project.project_id
        modified = set_parameters(ctx, c.name, pid, c.desired.project.parameters, spec["parameters"])
        entry = replace(entry, project_modified=modified or entry.project_modified)
    ctx.ledger.put(replace(entry, on_stop=spec["onStop"], protect=bool(spec["protect"])))
    r.outcome = Outcome.DONE
    r.detail = "project parameters set back, no redeploy" if c.parameter_changes else "ledger updated"


def line_logger(say: Callable[[str], None]) -> Callable[[str, str], None]:
    """One line per step, prefixed with the deployment's name, never interleaved, never a secret."""
    lock = threading.Lock()

    def log(name: str, message: str) -> None:
        with lock:
            say(scrub(f"{name}: {message}"))

    return log
