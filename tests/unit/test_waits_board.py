"""How a wait ends and what it reads, on a clock that moves only when the poller pauses: a wait gives up at its
timeout and never sleeps past it, a first interrupt cuts short the waits that may be left and a second every
wait, intervals grow from the first pause, progress is noted every `progress_every` seconds; the status board
reads the deployment asked for (never just the project's newest), shares one list only while it is fresh, and
a waiter that finds a list in flight uses its answer."""

from __future__ import annotations

import threading
from typing import Any

from qcdeploy.apply.board import StatusBoard
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import ApiError

START = 100.0


class Clock:
    """Time that passes only in the poller's pauses, each recorded as (event waited on, seconds)."""

    def __init__(self) -> None:
        self.now = START
        self.pauses: list[tuple[str, float]] = []

    def __call__(self) -> float:
        return self.now


class Pausing(threading.Event):
    """An event whose wait lets the clock's time pass instead of sleeping (none, once the event is set)."""

    def __init__(self, clock: Clock, name: str) -> None:
        super().__init__()
        self.clock, self.name = clock, name

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None, "a pause without an end"
        self.clock.pauses.append((self.name, timeout))
        if not self.is_set():
            self.clock.now += timeout
        return self.is_set()


def poller(interval: float = 1.0, max_interval: float = 10.0, progress_every: float = 30.0) -> tuple[Poller, Clock]:
    clock = Clock()
    cancel, abandon = Pausing(clock, "cancel"), Pausing(clock, "abandon")
    return Poller(interval, max_interval, progress_every, clock, cancel, abandon), clock


def probes(clock: Clock) -> tuple[Any, list[float]]:
    """A probe answering how many times it was called; and the times of its calls, from the start."""
    times: list[float] = []

    def probe() -> int:
        times.append(clock.now - START)
        assert len(times) <= 50, "a wait that never ends"
        return len(times)

    return probe, times


def never(n: int) -> bool:
    return False


def test_a_wait_gives_up_at_its_timeout_and_never_sleeps_past_it():
    p, clock = poller(max_interval=1.0)
    probe, times = probes(clock)
    assert p.until(probe, never, timeout=2.5) == (4, False)
    assert times == [0, 1, 2, 2.5] and clock.pauses == [("cancel", 1), ("cancel", 1), ("cancel", 0.5)]


def test_intervals_grow_from_the_first_pause_or_from_the_interval():
    p, clock = poller()
    probe, times = probes(clock)
    assert p.until(probe, lambda n: n >= 4, timeout=100, first=2) == (4, True)
    assert times == [2, 5, 9.5, 16.25]  # first 2, then 2 x 1.5, growing x 1.5
    p, clock = poller()
    probe, times = probes(clock)
    p.until(probe, lambda n: n >= 4, timeout=100)
    assert times == [0, 1, 2.5, 4.75]


def test_a_first_interrupt_ends_a_cancellable_wait_and_its_pauses_wake_on_it():
    p, clock = poller()
    probe, times = probes(clock)
    p.until(probe, never, timeout=10, first=2)
    assert {event for event, _ in clock.pauses} == {"cancel"}  # a Ctrl-C wakes every pause at once
    p.cancel.set()
    probe, times = probes(clock)
    assert p.until(probe, never, timeout=10) == (1, False) and len(times) == 1


def test_a_wait_that_must_end_in_a_known_state_outlasts_a_first_interrupt_but_not_a_second():
    p, clock = poller()
    p.cancel.set()
    probe, times = probes(clock)
    assert p.until(probe, never, timeout=10, cancellable=False, first=1) == (len(times), False)
    assert times[-1] == 10 and {event for event, _ in clock.pauses} == {"abandon"}
    for cancellable in (False, True):
        p, clock = poller()
        p.abandon.set()
        probe, times = probes(clock)
        assert p.until(probe, never, timeout=10, cancellable=cancellable) == (1, False)


def test_progress_is_noted_every_progress_every_seconds_of_the_wait():
    p, clock = poller(interval=10.0, progress_every=30.0)
    noted: list[float] = []
    probe, _ = probes(clock)
    p.until(probe, never, timeout=100, progress=noted.append)
    assert noted == [30, 60, 90]


class Api:
    """live/list and live/read over rows, newest last (the list without `unlisted` deployments); counts calls."""

    def __init__(self, rows: list[dict[str, Any]], list_fails: bool = False, unlisted: tuple[str, ...] = ()) -> None:
        self.rows, self.list_fails, self.unlisted = rows, list_fails, unlisted
        self.calls: list[str] = []

    def live_list(self) -> list[dict[str, Any]]:
        self.calls.append("live/list")
        if self.list_fails:
            raise ApiError("live/list: HTTP 500")
        return [dict(r) for r in self.rows if r["deployId"] not in self.unlisted]

    def live_read(self, pid: int, deploy_id: str | None = None) -> dict[str, Any]:
        self.calls.append("live/read")
        mine = [r for r in self.rows if r.get("projectId", pid) == pid and deploy_id in (None, r["deployId"])]
        if not mine:
            raise ApiError("live/read: no such deployment")
        return dict(mine[-1])


REPLACED = [
    {"projectId": 1, "deployId": "L-old", "status": "Stopped"},
    {"projectId": 1, "deployId": "L-new", "status": "Running"},
]


def board(api: Api, now: list[float]) -> StatusBoard:
    return StatusBoard(api, fresh=1.0, clock=lambda: now[0])  # type: ignore[arg-type]


def test_the_deployment_asked_for_is_read_not_the_projects_newest():
    api = Api(REPLACED, unlisted=("L-old",))
    b = board(api, [START])
    alone = b.status(1, "L-old")
    with b.waiting(), b.waiting():
        unlisted = b.status(1, "L-old")  # not in the list: read on its own
    for d in (alone, unlisted):
        assert d is not None and d.deploy_id == "L-old" and d.status == "Stopped"
    assert api.calls == ["live/read", "live/list", "live/read"]


def test_a_row_without_its_project_belongs_to_the_project_asked_for():
    api = Api([{"deployId": "L-7", "status": "Running"}])
    b = board(api, [START])
    read = b.status(7, "L-7")
    with b.waiting(), b.waiting():
        listed = b.status(7, "L-7")
    assert read is not None and read.project_id == 7
    assert listed is not None and listed.project_id == 7 and api.calls == ["live/read", "live/list"]


def test_a_list_is_shared_for_less_than_fresh_seconds_even_by_the_last_waiter():
    api, now = Api(REPLACED), [START]
    b = board(api, now)
    with b.waiting():
        with b.waiting():
            b.status(1, "L-new")
            now[0] = START + 0.5
            b.status(1, "L-new")
            now[0] = START + 1.0
            b.status(1, "L-new")  # a list `fresh` seconds old is stale
        assert api.calls == ["live/list", "live/list"]
        now[0] = START + 1.5
        last = b.status(1, "L-new")  # alone now, half `fresh` after the list: no read of its own
        assert last is not None and last.status == "Running" and api.calls == ["live/list", "live/list"]
        now[0] = START + 2.0
        b.status(1, "L-new")
    assert api.calls == ["live/list", "live/list", "live/read"]


def test_after_a_failed_list_the_next_waiter_asks_for_a_new_one():
    api, now = Api(REPLACED, list_fails=True), [START]
    b = board(api, now)
    with b.waiting(), b.waiting():
        b.status(1, "L-new")
        api.list_fails = False
        again = b.status(1, "L-new")
    assert again is not None and again.status == "Running"
    assert api.calls == ["live/list", "live/read", "live/list"]


def test_several_waiters_share_the_cost_of_a_read_and_a_lone_one_does_not():
    b = board(Api(REPLACED), [START])
    assert not b.shared()
    with b.waiting():
        assert not b.shared()
        with b.waiting():
            assert b.shared()
        assert not b.shared()


def test_a_waiter_that_finds_a_list_in_flight_uses_its_answer_without_a_read_of_its_own():
    arrived = threading.Semaphore(0)

    class Arrivals(threading.Condition):
        def wait(self, timeout: float | None = None) -> bool:
            arrived.release()
            return super().wait(timeout)

    seen: list[Any] = []

    class Slow(Api):
        def live_list(self) -> list[dict[str, Any]]:
            waiter = threading.Thread(target=lambda: seen.append(b.status(1, "L-old")))
            waiter.start()
            assert arrived.acquire(timeout=5)  # it waits for this list's answer
            self.waiter = waiter
            return super().live_list()

    api = Slow(REPLACED)
    b = board(api, [START])
    b._changed = Arrivals()
    with b.waiting(), b.waiting():
        first = b.status(1, "L-new")
        api.waiter.join(5)
    assert first is not None and first.status == "Running"
    assert [d.status for d in seen] == ["Stopped"] and api.calls == ["live/list"]


def test_a_waiter_takes_the_answer_of_the_list_it_waited_for_though_another_has_started_since():
    """Else a waiter could wait through list after list (each failed list starts the next at once)."""
    arrived = threading.Semaphore(0)
    seen: list[Any] = []

    class Handover(threading.Condition):
        def wait(self, timeout: float | None = None) -> bool:
            arrived.release()
            return super().wait(timeout)

        def notify_all(self) -> None:
            b._fetching = api.calls.count("live/list") == 2  # the next list starts before the waiter wakes
            super().notify_all()

    class Slow(Api):
        def live_list(self) -> list[dict[str, Any]]:
            if self.calls.count("live/list") == 1:  # the second list: a waiter arrives while it is in flight
                self.waiter = threading.Thread(target=lambda: seen.append(b.status(1, "L-old")), daemon=True)
                self.waiter.start()
                assert arrived.acquire(timeout=5)
            return super().live_list()

    api, now = Slow(REPLACED), [START]
    b = board(api, now)
    b._changed = Handover()
    with b.waiting(), b.waiting():
        b.status(1, "L-new")
        now[0] = START + 2.0
        b.status(1, "L-new")
        api.waiter.join(5)
    assert [d.status for d in seen] == ["Stopped"]
