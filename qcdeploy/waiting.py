"""Polling with a growing interval and a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Poller:
    """Calls probe until done(result) or the timeout passes; returns the last result and whether it finished."""

    interval: float = 1.0
    max_interval: float = 10.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def until(self, probe: Callable[[], T], done: Callable[[T], bool], timeout: float) -> tuple[T, bool]:
        deadline = self.clock() + timeout
        delay = self.interval
        while True:
            result = probe()
            if done(result):
                return result, True
            left = deadline - self.clock()
            if left <= 0:
                return result, False
            self.sleep(min(delay, left))
            delay = min(delay * 1.5, self.max_interval)
