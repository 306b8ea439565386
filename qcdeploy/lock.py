"""A lock beside the ledger so that two applies on one machine never interleave."""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qcdeploy import __version__
from qcdeploy.errors import QcdeployError


class LockHeld(QcdeployError):
    """Another run holds the ledger."""


def lock_path(state_path: str) -> Path:
    return Path(state_path + ".lock")


@contextmanager
def held(
    state_path: str, operation: str, timeout: float = 0.0, say: Callable[[str], None] = lambda _: None
) -> Iterator[dict[str, Any]]:
    """Hold the ledger's lock for the whole block; wait up to `timeout` seconds for a busy one."""
    path = lock_path(state_path)
    info = _info(operation)
    deadline = time.monotonic() + timeout
    while not _try_create(path, info):
        holder = read(path)
        if holder is not None and _dead(holder):
            say(f"Removing a stale lock: {describe(holder)} (that process no longer exists)")
            _remove_if(path, holder.get("id"))
            continue
        if time.monotonic() >= deadline:
            raise LockHeld(_busy_message(state_path, holder))
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    try:
        yield info
    finally:
        _remove_if(path, info["id"])


def _info(operation: str) -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return {
        "id": str(uuid.uuid4()),
        "operation": operation,
        "who": f"{user}@{socket.gethostname()}",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "ci_run": os.environ.get("GITHUB_RUN_ID") or os.environ.get("CI_JOB_ID") or None,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": __version__,
    }


def _try_create(path: Path, info: dict[str, Any]) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(info, fh)
    return True


def read(path: Path) -> dict[str, Any] | None:
    """The lock's holder, or None when the lock is gone or unreadable (half written)."""
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _dead(holder: dict[str, Any]) -> bool:
    """Only a holder on this host can be checked: its process is gone."""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _remove_if(path: Path, lock_id: Any) -> bool:
    holder = read(path)
    if holder is not None and holder.get("id") != lock_id:
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def describe(holder: dict[str, Any]) -> str:
    created = holder.get("created", "?")
    age = ""
    try:
        seconds = (
            datetime.now(timezone.utc) - datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        ).total_seconds()
        age = f", {_duration(seconds)} ago"
    except ValueError:
        pass
    run = f", CI run {holder['ci_run']}" if holder.get("ci_run") else ""
    who = f"{holder.get('who', '?')} (pid {holder.get('pid', '?')}{run})"
    return f"{holder.get('operation', '?')} by {who} since {created}{age}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _busy_message(state_path: str, holder: dict[str, Any] | None) -> str:
    if holder is None:
        return f"the ledger {state_path} is locked (the lock is being written or unreadable); try again"
    return (
        f"the ledger {state_path} is locked: {describe(holder)}. Wait for it (--lock-timeout SECONDS), or if "
        f"that run is dead: qcdeploy force-unlock {holder.get('id')}"
    )


def force_unlock(state_path: str, lock_id: str) -> dict[str, Any]:
    """Remove the lock if its id is lock_id; the id guards against removing a newer, live lock."""
    path = lock_path(state_path)
    holder = read(path)
    if holder is None:
        raise QcdeployError(f"the ledger {state_path} is not locked")
    if holder.get("id") != lock_id:
        raise QcdeployError(f"the lock on {state_path} has id {holder.get('id')}, not {lock_id}: {describe(holder)}")
    _remove_if(path, lock_id)
    return holder
