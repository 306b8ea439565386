"""Carries out a Plan in phases (compile, stop, create, ledger updates) over a pool of workers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from qcdeploy.errors import QcdeployError
from qcdeploy.model import Action, Change
from qcdeploy.redact import scrub
from qcdeploy.steps import Interrupted, Outcome, Result, Steps

__all__ = ["ApplyOptions", "Executor", "Outcome", "Result"]


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout: float = 900.0
    parallelism: int = 4


@dataclass
class Executor:
    """Independent changes run concurrently; the steps of one change always stay in order.

    Compiling every change first means a broken build never stops anything; stopping everything before
    creating means nodes freed by one change are free for another (a swap of two nodes works).
    """

    steps: Steps
    parallelism: int = 4
    interrupted: threading.Event = field(init=False)

    def __post_init__(self) -> None:
        self.interrupted = self.steps.poller.cancel  # one flag stops new steps and cuts waits short

    def run(self, changes: Iterable[Change]) -> list[Result]:
        results = [Result(c) for c in changes]
        for r in results:
            if r.change.blocked:
                self._fail(r, f"blocked: {r.change.blocked}")
        runnable = [r for r in results if not r.change.blocked]
        self._phase([r for r in runnable if r.change.creates], self.steps.compile, new_work=True)
        self._phase([r for r in runnable if r.change.stops and _ok(r)], self.steps.stop, new_work=True)
        # a replace whose old deployment is gone is finished even after an interrupt: never leave it flat
        self._phase([r for r in runnable if r.change.creates and _ok(r)], self.steps.create, new_work=False)
        self._phase([r for r in runnable if r.change.action is Action.UPDATE], self.steps.update, new_work=True)
        for r in results:
            if r.outcome is Outcome.NOT_ATTEMPTED and self.interrupted.is_set() and not r.detail:
                r.detail = "interrupted before it started"
        return results

    def _phase(self, results: list[Result], step: Callable[[Result], None], new_work: bool) -> None:
        def guarded(r: Result) -> None:
            if self.interrupted.is_set() and (new_work or not r.stopped):
                return
            try:
                step(r)
            except Interrupted as exc:
                r.detail = str(exc)
            except QcdeployError as exc:
                self._fail(r, str(exc))

        with ThreadPoolExecutor(max_workers=max(1, self.parallelism)) as pool:
            list(pool.map(guarded, results))

    def _fail(self, r: Result, detail: str) -> None:
        r.outcome, r.detail = Outcome.FAILED, detail
        self.steps.log(r.change.name, f"FAILED: {detail}")


def _ok(r: Result) -> bool:
    return r.outcome is not Outcome.FAILED


def line_logger(say: Callable[[str], None]) -> Callable[[str, str], None]:
    """One line per step, prefixed with the deployment's name, never interleaved, never a secret."""
    lock = threading.Lock()

    def log(name: str, message: str) -> None:
        with lock:
            say(scrub(f"{name}: {message}"))

    return log
