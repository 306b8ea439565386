"""The ledger in a local JSON file, written atomically; its lock is a file beside it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from qcdeploy.errors import LedgerError, QcdeployError
from qcdeploy.files import Unreadable, read_text
from qcdeploy.ledger.backends.base import Change, Doc, announce_wait, busy, describe_lock, same_host_and_dead
from qcdeploy.ledger.backends.document import ledger_document

MAX_LEDGER_BYTES = 64 * 1024 * 1024  # a ledger of 5,000 deployments is a few MiB


class FileBackend:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.lock_path = Path(path + ".lock")

    def describe(self) -> str:
        return str(self.path)

    def read(self) -> Doc | None:
        try:  # bounded and regular: a ledger linked to /dev/zero is refused, not read until memory runs out
            text = read_text(self.path, MAX_LEDGER_BYTES)
        except FileNotFoundError:
            return None
        except Unreadable as exc:
            raise LedgerError(f"{exc}: the ledger cannot be read") from None
        except OSError as exc:
            raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from None
        return ledger_document(text, str(self.path))

    def update(self, change: Change, message: str) -> Doc:
        doc = change(self.read())
        try:
            self._make_folder()
            _write_atomically(self.path, json.dumps(doc, indent=2) + "\n", os.replace)
        except OSError as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from None
        return doc

    def _make_folder(self) -> None:
        """The default folder (.qcdeploy/) keeps itself out of git: a local ledger is one person's; a team shares
        one through `state: git:` instead."""
        folder = self.path.parent
        fresh = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        if fresh and folder.name == ".qcdeploy":
            (folder / ".gitignore").write_text("# qcdeploy's local ledger and lock (to share one: state: git:)\n*\n")

    # -- lock ----------------------------------------------------------------------------------

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        deadline = time.monotonic() + timeout
        said: list[bool] = []
        while not self._create_lock(info):
            holder = self._holder()
            if holder is not None and same_host_and_dead(holder):
                if self._take_over(holder):
                    say(f"Removed a stale lock: {describe_lock(holder)} (that process no longer exists)")
                    continue
                holder = self._holder()  # another waiter took it over first: wait for that one, within the deadline
            if time.monotonic() >= deadline:
                raise busy(str(self.path), holder)
            announce_wait(say, str(self.path), holder, deadline, said)
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
        """The lock file appears with its content (written aside, then hard-linked into place, which fails when
        one exists), so nobody ever reads a lock that is there but empty."""
        try:
            self._make_folder()
            _write_atomically(self.lock_path, json.dumps(info), os.link)
        except FileExistsError:
            return False
        except OSError as exc:
            raise LedgerError(f"cannot create the lock {self.lock_path}: {exc}") from None
        return True

    def _take_over(self, stale: Doc) -> bool:
        """Remove a dead process's lock; takers queue on a guard file, so each sees the lock as it really is and
        none removes a lock another has just taken."""
        guard = self.lock_path.with_name(self.lock_path.name + ".guard")
        with open(guard, "a", encoding="utf-8") as fh, _exclusive(fh.fileno()):
            holder = self._holder()
            if holder is None or holder.get("id") != stale.get("id"):
                return False
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
            return True

    def _holder(self) -> Doc | None:
        try:
            value = json.loads(read_text(self.lock_path, 64 * 1024))
        except (OSError, ValueError, Unreadable):
            return None
        return value if isinstance(value, dict) else None

    def _remove(self, lock_id: object) -> None:
        holder = self._holder()
        if holder is not None and holder.get("id") != lock_id:
            return
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()


def _write_atomically(path: Path, text: str, place: Callable[[str, Path], None]) -> None:
    """Write text to a temporary file beside path and put it in place; the temporary file never outlives a failure
    (a full disk must not be made fuller by leftovers)."""
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        place(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no guard, as before
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
