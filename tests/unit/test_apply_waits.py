"""How apply waits: one live/list for every deployment waited on at once, a pace learned from the fleet, and
no read before a wait can have ended."""

from __future__ import annotations

import threading
import time
from typing import Any

from qcdeploy.apply.board import StatusBoard
from qcdeploy.apply.pace import Pace
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import ApiError


class FakeApi:
    """live/list and live/read answers from a table of deployments; counts every call."""

    def __init__(self, rows: list[dict[str, Any]], list_fails: bool = False) -> None:
        self.rows, self.list_fails = list(rows), list_fails  # a test that adds a row must not add it to ROWS
        self.calls: list[str] = []

    def live_list(self) -> list[dict[str, Any]]:
        self.calls.append("live/list")
        if self.list_fails:
            raise ApiError("live/list: HTTP 500")
        return [dict(r) for r in self.rows]

    def live_read(self, pid: int, deploy_id: str | None = None) -> dict[str, Any]:
        self.calls.append("live/read")
        mine = [r for r in self.rows if r["projectId"] == pid and deploy_id in (None, r["deployId"])]
        if not mine:
            raise ApiError("live/read: no such deployment")
        return dict(mine[-1])


ROWS = [
    {"projectId": 1, "deployId": "L-1", "status": "Running"},
    {"projectId": 2, "deployId": "L-2", "status": "RuntimeError", "error": "boom"},
]


def board(api: FakeApi, now: list[float]) -> StatusBoard:
    return StatusBoard(api, fresh=1.0, clock=lambda: now[0])  # type: ignore[arg-type]


def test_a_lone_waiter_reads_its_own_deployment():
    api = FakeApi(ROWS)
    b = board(api, [0.0])
    with b.waiting():
        d = b.status(1, "L-1")
    assert d is not None and d.status == "Running" and api.calls == ["live/read"]


def test_waiters_share_one_list_while_it_is_fresh_and_read_a_new_one_after():
    api, now = FakeApi(ROWS), [0.0]
    b = board(api, now)
    with b.waiting(), b.waiting():
        first, second = b.status(1, "L-1"), b.status(2, "L-2")
        now[0] = 2.0
        again = b.status(1, "L-1")
    assert first is not None and first.status == "Running"
    assert second is not None and second.status == "RuntimeError" and second.error == "boom"
    assert again is not None and api.calls == ["live/list", "live/list"]


def test_the_last_waiter_uses_the_shared_list_while_it_is_fresh():
    api, now = FakeApi(ROWS), [0.0]
    b = board(api, now)
    with b.waiting():
        with b.waiting():
            b.status(1, "L-1")
        last = b.status(2, "L-2")  # alone now, 0 s after the list: no read of its own
        now[0] = 2.0
        b.status(2, "L-2")
    assert last is not None and last.status == "RuntimeError"
    assert api.calls == ["live/list", "live/read"]


def test_a_deployment_the_list_does_not_show_yet_is_read_on_its_own():
    api = FakeApi(ROWS)
    b = board(api, [0.0])
    api_rows_later = {"projectId": 3, "deployId": "L-3", "status": "InQueue"}
    with b.waiting(), b.waiting():
        b.status(1, "L-1")
        api.rows.append(api_rows_later)  # created after the list was read
        d = b.status(3, "L-3")
    assert d is not None and d.status == "InQueue" and api.calls == ["live/list", "live/read"]


def test_a_failed_list_is_not_known_yet_never_a_verdict():
    api = FakeApi(ROWS, list_fails=True)
    b = board(api, [0.0])
    with b.waiting(), b.waiting():
        d = b.status(1, "L-1")
    assert d is not None and d.status == "Running"  # read on its own after the list failed
    assert api.calls == ["live/list", "live/read"]
    assert board(FakeApi([]), [0.0]).status(9, "L-9") is None


def test_waiters_arriving_during_a_list_use_its_answer():
    release = threading.Event()

    class Slow(FakeApi):
        def live_list(self) -> list[dict[str, Any]]:
            release.wait(5)
            return super().live_list()

    class Arrivals(threading.Condition):
        """Counts the waiters that found a list in flight, so the test releases it once all three have."""

        def __init__(self) -> None:
            super().__init__()
            self.arrived = threading.Semaphore(0)

        def wait(self, timeout: float | None = None) -> bool:
            self.arrived.release()
            return super().wait(timeout)

    api = Slow(ROWS)
    b = StatusBoard(api, fresh=0.0)  # type: ignore[arg-type]  # every list stale at once: only in-flight sharing
    b._changed = arrivals = Arrivals()
    seen: list[Any] = []
    with b.waiting(), b.waiting():
        threads = [threading.Thread(target=lambda: seen.append(b.status(1, "L-1"))) for _ in range(4)]
        for t in threads:
            t.start()
        assert all(arrivals.arrived.acquire(timeout=5) for _ in range(3))  # one lists, three wait for its answer
        release.set()
        for t in threads:
            t.join()
    assert len(seen) == 4 and all(d is not None for d in seen)
    assert api.calls.count("live/list") < 4


def test_pace_polls_first_a_little_before_the_median_start():
    pace = Pace()
    assert pace.first_poll() is None
    for seconds in (10.0, 30.0, 20.0):
        pace.record(seconds)
    assert pace.first_poll() == 0.9 * 20.0


def test_poller_waits_first_before_its_first_probe():
    probes: list[float] = []
    start = time.monotonic()

    def probe() -> int:
        probes.append(time.monotonic() - start)
        return len(probes)

    result, done = Poller(0.01, 0.05).until(probe, lambda n: n >= 2, timeout=5, first=0.1, then=0.01)
    assert done and result == 2
    assert probes[0] >= 0.1  # sleeps never end early
    assert probes[1] - probes[0] < 0.1  # `then`, not `first` grown


def test_poller_without_first_probes_at_once():
    calls: list[int] = []

    def probe() -> int:
        calls.append(1)
        return len(calls)

    _, done = Poller(5.0, 5.0).until(probe, lambda n: n >= 1, timeout=5)
    assert done and calls == [1]


class Recorded(Poller):
    """Pauses recorded, not slept."""

    def _pause(self, seconds: float, cancellable: bool) -> None:
        self.pauses.append(round(seconds, 3))  # type: ignore[attr-defined]


def pauses(growth: float) -> list[float]:
    poller = Recorded(0.5, 10.0)
    object.__setattr__(poller, "pauses", [])
    probes = iter(range(5))
    poller.until(lambda: next(probes), lambda n: n >= 4, timeout=100, first=0.5, then=0.5, growth=lambda: growth)
    return poller.pauses  # type: ignore[attr-defined, no-any-return]


def test_a_shared_wait_keeps_its_interval_and_a_lone_one_stretches_it():
    assert pauses(1.0) == [0.5, 0.5, 0.5, 0.5, 0.5]
    assert pauses(1.5) == [0.5, 0.5, 0.75, 1.125, 1.688]
