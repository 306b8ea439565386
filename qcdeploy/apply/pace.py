"""How long the fleet's deployments take to start, learned as apply goes: later waits poll around that time.

The first deployment of an apply is polled on the usual growing schedule. Once some have reached Running,
the next wait polls first shortly before the median time they took, then from the base interval again: a
fleet's strategies start in similar times, so the wait ends close to when the deployment runs, with fewer
reads than a schedule that knows nothing.
"""

from __future__ import annotations

import statistics
import threading


class Pace:
    EARLY = 0.9  # the first poll at this share of the typical time: a little before it, rarely after
    _seconds: list[float]  # declared here, not in __init__: mutmut's copies of __init__ would each redeclare it

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = []

    def record(self, seconds: float) -> None:
        with self._lock:
            self._seconds.append(seconds)

    def first_poll(self) -> float | None:
        """When to poll first (None: nothing learned yet)."""
        with self._lock:
            return self.EARLY * statistics.median(self._seconds) if self._seconds else None
