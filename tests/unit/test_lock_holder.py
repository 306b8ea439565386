"""When a held ledger lock may be taken over: only when its holder is on this host and its process is gone; and
what the lock records of its holder and tells whoever waits for it or must remove it."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone, tzinfo
from types import SimpleNamespace

import pytest

from qcdeploy import __version__
from qcdeploy.ledger.backends import base
from qcdeploy.ledger.backends.base import (
    LockHeld,
    announce_wait,
    busy,
    describe_lock,
    lock_info,
    same_host_and_dead,
)
from qcdeploy.ledger.backends.file import FileBackend


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_holder_here_whose_process_is_gone_is_dead():
    assert same_host_and_dead({"host": socket.gethostname(), "pid": dead_pid()})


def test_a_holder_on_another_host_is_never_dead_even_when_its_pid_is_free_here(tmp_path):
    holder = {**lock_info("apply"), "host": "ci-runner-elsewhere", "who": "ci@ci-runner-elsewhere", "pid": dead_pid()}
    assert not same_host_and_dead(holder)
    backend = FileBackend(str(tmp_path / "state.json"))
    backend.lock(holder, 0, print)
    with pytest.raises(LockHeld, match="ci-runner-elsewhere"):
        backend.lock(lock_info("apply"), 0, print)


def test_another_users_live_process_is_alive(monkeypatch):
    """os.kill(pid, 0) on another user's process raises PermissionError: it exists."""

    def not_yours(pid: int, sig: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", not_yours)  # base calls os.kill
    assert not same_host_and_dead({"host": socket.gethostname(), "pid": os.getpid() + 1})


def test_a_holder_without_a_pid_is_not_taken_for_dead():
    assert not same_host_and_dead({"host": socket.gethostname(), "pid": "1234"})


def test_a_live_holder_on_this_host_is_alive():
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert not same_host_and_dead({"host": socket.gethostname(), "pid": child.pid})
    finally:
        child.kill()
        child.wait()


def test_the_liveness_check_sends_no_signal(monkeypatch):
    """Signal 0 only asks whether the process exists; any other would reach the holder."""
    sent: list[int] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append(sig))
    assert not same_host_and_dead({"host": socket.gethostname(), "pid": 4242})
    assert sent == [0]


def test_the_lock_names_user_host_pid_ci_run_operation_environment_and_version(monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "ann")
    for name in ("GITHUB_ACTOR", "GITHUB_RUN_ID", "CI_JOB_ID"):
        monkeypatch.delenv(name, raising=False)
    info = lock_info("apply", "live")
    host = socket.gethostname()
    assert {k: v for k, v in info.items() if k not in ("id", "created")} == {
        "operation": "apply",
        "who": f"ann@{host}",
        "host": host,
        "pid": os.getpid(),
        "ci_run": None,
        "version": __version__,
        "environment": "live",
    }
    assert uuid.UUID(info["id"]) and lock_info("apply")["id"] != info["id"]


def test_a_ci_lock_names_the_actor_and_the_run(monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "runner")
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    monkeypatch.setenv("GITHUB_RUN_ID", "77")
    monkeypatch.setenv("CI_JOB_ID", "88")
    info = lock_info("apply")
    assert info["who"].startswith("octocat@") and info["ci_run"] == "77"
    monkeypatch.delenv("GITHUB_RUN_ID")
    assert lock_info("apply")["ci_run"] == "88"


def test_a_user_the_system_cannot_name_is_unknown(monkeypatch):
    def nameless() -> str:
        raise KeyError("uid not found")

    monkeypatch.setattr(getpass, "getuser", nameless)
    monkeypatch.delenv("GITHUB_ACTOR", raising=False)
    assert lock_info("apply")["who"].startswith("unknown@")


def test_the_lock_is_stamped_in_utc_whatever_the_local_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Etc/GMT-9")  # nine hours ahead of UTC
    time.tzset()
    try:
        created = datetime.strptime(lock_info("apply")["created"], "%Y-%m-%dT%H:%M:%SZ")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert abs(created.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)) < timedelta(hours=1)


class _At(datetime):
    """datetime whose now() is 2026-11-01 00:05:00 UTC (naive local time without a zone, as datetime.now())."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _At:
        moment = cls(2026, 11, 1, 0, 5, tzinfo=timezone.utc).astimezone(tz)
        return moment if tz is not None else moment.replace(tzinfo=None)


HOLDER = {
    "id": "lock-1",
    "operation": "apply",
    "who": "ann@ci",
    "pid": 42,
    "ci_run": "77",
    "created": "2026-11-01T00:00:00Z",
    "environment": "live",
}


def test_the_holder_is_described_with_its_age(monkeypatch):
    monkeypatch.setattr(base, "datetime", _At)
    assert describe_lock(HOLDER) == "apply by ann@ci (pid 42, CI run 77) since 2026-11-01T00:00:00Z, 5 min ago"


def test_a_holder_that_says_nothing_is_described_with_question_marks():
    assert describe_lock({}) == "? by ? (pid ?) since ?"
    assert describe_lock({"created": "yesterday"}).endswith("since yesterday")


def test_ages_read_in_seconds_then_minutes_then_hours():
    durations = [base._duration(s) for s in (119, 120, 7199, 7200, 3_600_000)]
    assert durations == ["119s", "2 min", "120 min", "2.0 h", "1000.0 h"]


def test_a_held_lock_says_how_to_remove_it_for_its_environment():
    assert str(busy("f.json", HOLDER)).endswith("qcdeploy force-unlock lock-1 --env live")
    assert str(busy("f.json", {**HOLDER, "environment": None})).endswith("force-unlock lock-1")
    assert str(busy("f.json", {**HOLDER, "environment": ""})).endswith("force-unlock lock-1")
    assert "unreadable" in str(busy("f.json", None))


def test_a_wait_is_announced_once_with_its_holder_and_time_left(monkeypatch):
    monkeypatch.setattr(base, "time", SimpleNamespace(monotonic=lambda: 100.0))
    said: list[str] = []
    flags: list[bool] = []
    announce_wait(said.append, "f.json", HOLDER, 130.0, flags)
    announce_wait(said.append, "f.json", HOLDER, 130.0, flags)
    [line] = said
    assert "(apply by ann@ci" in line and "waiting up to 30s" in line


def test_a_wait_past_its_deadline_for_an_unknown_holder(monkeypatch):
    monkeypatch.setattr(base, "time", SimpleNamespace(monotonic=lambda: 100.0))
    said: list[str] = []
    announce_wait(said.append, "f.json", None, 90.0, [])
    assert "(another run)" in said[0] and "waiting up to 0s" in said[0]
