"""Polling with a growing interval, a deadline, progress notes and cancellation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Poller:
    """Calls probe until done(result), the timeout passes or cancel is set; returns (last result, done)."""

    interval: float = 1.0
    max_interval: float = 10.0
    progress_every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    cancel: threading.Event = field(default_factory=threading.Event)

    def until(
        self,
        probe: Callable[[], T],
        done: Callable[[T], bool],
        timeout: float,
        progress: Callable[[float], None] | None = None,
        cancellable: bool = True,
        first: float | None = None,
    ) -> tuple[T, bool]:
        start = self.clock()
        next_note = start + self.progress_every
        delay = first if first is not None else self.interval  # `first`: when the wait is known to be longer
        while True:
            result = probe()
            if done(result):
                return result, True
            now = self.clock()
            if now - start >= timeout or (cancellable and self.cancel.is_set()):
                return result, False
            if progress is not None and now >= next_note:
                progress(now - start)
                next_note = now + self.progress_every
            # Event.wait doubles as an interruptible sleep
            if cancellable:
                self.cancel.wait(min(delay, timeout - (now - start)))
            else:
                time.sleep(min(delay, timeout - (now - start)))
            delay = min(delay * 1.5, self.max_interval)
