"""What every state backend offers: read, a read-modify-write that survives concurrent writers, and a lock."""

from __future__ import annotations

import getpass
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

from qcdeploy import __version__
from qcdeploy.errors import QcdeployError

Doc = dict[str, Any]
Change = Callable[[Doc | None], Doc]


class LockHeld(QcdeployError):
    """Another run holds the ledger."""


class Backend(Protocol):
    """A place for the ledger document."""

    def describe(self) -> str:
        """Where it is, for messages (never a credential)."""
        ...

    def read(self) -> Doc | None:
        """The ledger document, or None when there is none yet."""
        ...

    def update(self, change: Change, message: str) -> Doc:
        """Apply change to the newest document and store the result. The git backend re-reads and retries when a
        concurrent push won; the file and http backends rely on the ledger lock held around every writing run."""
        ...

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        """Take the lock (waiting up to timeout seconds) or raise LockHeld naming the holder."""
        ...

    def unlock(self, lock_id: str) -> None:
        """Release our lock."""
        ...

    def force_unlock(self, lock_id: str) -> Doc:
        """Remove the lock with this id, whoever holds it; returns the holder's info."""
        ...


def lock_info(operation: str, environment: str | None = None) -> Doc:
    """Who is locking: the fields of Terraform's lock info, plus host, pid, CI run and the --env environment."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    user = os.environ.get("GITHUB_ACTOR") or user
    return {
        "id": str(uuid.uuid4()),
        "operation": operation,
        "who": f"{user}@{socket.gethostname()}",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "ci_run": os.environ.get("GITHUB_RUN_ID") or os.environ.get("CI_JOB_ID") or None,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": __version__,
        "environment": environment,
    }


def describe_lock(holder: Doc) -> str:
    created = holder.get("created", "?")
    age = ""
    try:
        then = datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        age = f", {_duration((datetime.now(timezone.utc) - then).total_seconds())} ago"
    except (TypeError, ValueError):
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


def busy(where: str, holder: Doc | None) -> LockHeld:
    if holder is None:
        return LockHeld(f"the ledger at {where} is locked (the lock is unreadable); try again")
    return LockHeld(
        f"the ledger at {where} is locked: {describe_lock(holder)}. Wait for it (--lock-timeout SECONDS), or if "
        f"that run is dead: qcdeploy force-unlock {holder.get('id')}{_env_flag(holder)}"
    )


def _env_flag(holder: Doc) -> str:
    env = holder.get("environment")
    return f" --env {env}" if isinstance(env, str) and env else ""


def same_host_and_dead(holder: Doc) -> bool:
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


def announce_wait(
    say: Callable[[str], None], where: str, holder: Doc | None, deadline: float, said: list[bool]
) -> None:
    """Once per wait: say whose lock apply is waiting for, and how long it will wait (never a silent hang)."""
    if not said:
        left = max(0.0, deadline - time.monotonic())
        who = describe_lock(holder) if holder else "another run"
        say(f"The ledger at {where} is locked ({who}); waiting up to {left:.0f}s for it (--lock-timeout)")
        said.append(True)
