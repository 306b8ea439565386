"""When a held ledger lock may be taken over: only when its holder is on this host and its process is gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from qcdeploy.ledger.backends.base import LockHeld, lock_info, same_host_and_dead
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
