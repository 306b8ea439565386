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
    """Calls probe until done(result), the timeout passes or cancel is set; returns (last result, done).

    `cancel` (a first Ctrl-C or SIGTERM) cuts short the waits that may be left (compile, start, health); `abandon`
    (a second) cuts short every wait, even one that must end in a known state, such as a stop's."""

    interval: float = 1.0
    max_interval: float = 10.0
    progress_every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    cancel: threading.Event = field(default_factory=threading.Event)
    abandon: threading.Event = field(default_factory=threading.Event)

    def until(
        self,
        probe: Callable[[], T],
        done: Callable[[T], bool],
        timeout: float,
        progress: Callable[[float], None] | None = None,
        cancellable: bool = True,
        first: float | None = None,
        then: float | None = None,
        growth: Callable[[], float] = lambda: 1.5,
    ) -> tuple[T, bool]:
        """Probe at once, or after `first` seconds when the wait is known to take at least that long (a probe
        sooner only costs a call); then every `then` seconds (default: the interval, or `first` x 1.5),
        growing x`growth()` (asked each time: 1.5 unless a probe is cheap now) up to max_interval."""
        start = self.clock()
        next_note = start + self.progress_every
        if first is not None:
            self._pause(min(first, timeout), cancellable)
        delay = then if then is not None else (min(first * 1.5, self.max_interval) if first else self.interval)
        while True:
            result = probe()
            if done(result):
                return result, True
            now = self.clock()
            if now - start >= timeout or (cancellable and self.cancel.is_set()) or self.abandon.is_set():
                return result, False
            if progress is not None and now >= next_note:
                progress(now - start)
                next_note = now + self.progress_every
            self._pause(min(delay, timeout - (now - start)), cancellable)
            delay = min(delay * growth(), self.max_interval)

    def _pause(self, seconds: float, cancellable: bool) -> None:
        if cancellable:
            self.cancel.wait(seconds)  # Event.wait doubles as an interruptible sleep
        else:
            self.abandon.wait(seconds)
