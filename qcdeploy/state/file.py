"""The ledger in a local JSON file, written atomically; its lock is a file beside it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from qcdeploy.errors import LedgerError, QcdeployError
from qcdeploy.state.base import Change, Doc, busy, describe_lock, same_host_and_dead


class FileBackend:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.lock_path = Path(path + ".lock")

    def describe(self) -> str:
        return str(self.path)

    def read(self) -> Doc | None:
        try:
            value = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from None
        if not isinstance(value, dict):
            raise LedgerError(f"the ledger {self.path} is not a JSON object")
        return value

    def update(self, change: Change, message: str) -> Doc:
        doc = change(self.read())
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from None
        return doc

    # -- lock ----------------------------------------------------------------------------------

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        deadline = time.monotonic() + timeout
        while not self._create_lock(info):
            holder = self._holder()
            if holder is not None and same_host_and_dead(holder):
                say(f"Removing a stale lock: {describe_lock(holder)} (that process no longer exists)")
                self._remove(holder.get("id"))
                continue
            if time.monotonic() >= deadline:
                raise busy(str(self.path), holder)
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def unlock(self, lock_id: str) -> None:
        self._remove(lock_id)

    def force_unlock(self, lock_id: str) -> Doc:
        holder = self._holder()
        if holder is None:
            raise QcdeployError(f"the ledger {self.path} is not locked")
        if holder.get("id") != lock_id:
            raise QcdeployError(
                f"the lock on {self.path} has id {holder.get('id')}, not {lock_id}: {describe_lock(holder)}"
            )
        self._remove(lock_id)
        return holder

    def _create_lock(self, info: Doc) -> bool:
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise LedgerError(f"cannot create the lock {self.lock_path}: {exc}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh)
        return True

    def _holder(self) -> Doc | None:
        try:
            value = json.loads(self.lock_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def _remove(self, lock_id: object) -> None:
        holder = self._holder()
        if holder is not None and holder.get("id") != lock_id:
            return
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
