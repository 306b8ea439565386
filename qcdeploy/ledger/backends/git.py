"""The ledger on a dedicated branch of a git repository: plumbing only, never the checked-out tree.

Each write is a commit on the branch whose parent is the commit it read; the push is a compare-and-swap
(a non-fast-forward is rejected), so a concurrent writer makes us read again and re-apply the change.
The lock is a lock.json file on the same branch, taken and released by commits. Every loop that retries a lost
race is bounded: by its attempts, and the lock's by its deadline (--lock-timeout) too.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

from qcdeploy.errors import ConfigError, LedgerError, QcdeployError
from qcdeploy.ledger.backends.base import Change, Doc, announce_wait, busy, describe_lock, same_host_and_dead
from qcdeploy.ledger.backends.document import ledger_document
from qcdeploy.ledger.backends.gitrepo import LOCK, STATE, GitRepo
from qcdeploy.stateurl import git_problem


class GitBackend:
    def __init__(self, remote: str, branch: str, cwd: str | None = None, attempts: int = 8) -> None:
        problem = git_problem(f"git:{remote}#{branch}")
        if problem:  # checked where the URL is read too; here so that no caller can skip it
            raise ConfigError(f"state git:{remote}#{branch} refused: {problem}")
        self.remote, self.branch, self.attempts = remote, branch, attempts
        self.repo = GitRepo(remote, branch, cwd)

    def describe(self) -> str:
        return self.repo.where

    # -- reading and writing ---------------------------------------------------------------------

    def _ledger(self, raw: bytes | None) -> Doc | None:
        if raw is None:
            return None
        return ledger_document(raw, f"{self.describe()} ({STATE})", "; fix or revert the last commit")

    def read(self) -> Doc | None:
        head = self.repo.fetch()
        return self._ledger(self.repo.files(head).get(STATE)) if head else None

    def update(self, change: Change, message: str) -> Doc:
        for attempt in range(self.attempts):
            head = self.repo.fetch()
            files = self.repo.files(head)
            doc = change(self._ledger(files.get(STATE)))
            files[STATE] = (json.dumps(doc, indent=2) + "\n").encode()
            if self.repo.push(self.repo.commit(files, head, message)):
                return doc
            time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))  # someone else wrote: read again
        raise LedgerError(f"could not write the ledger to {self.describe()}: {self.attempts} concurrent writes won")

    # -- lock ------------------------------------------------------------------------------------

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        deadline = time.monotonic() + timeout
        said: list[bool] = []
        lost = 0
        while True:
            head = self.repo.fetch()
            files = self.repo.files(head)
            holder = _json(files.get(LOCK))
            if holder is not None and same_host_and_dead(holder):
                say(f"Taking over a stale lock: {describe_lock(holder)} (that process no longer exists)")
                holder = None
            if holder is None:
                files[LOCK] = json.dumps(info).encode()
                if self.repo.push(self.repo.commit(files, head, f"qcdeploy: lock for {info['operation']}")):
                    return
                lost += 1  # another writer moved the branch first: read again, within bounds
                if lost >= self.attempts and time.monotonic() >= deadline:
                    raise LedgerError(f"could not take the lock at {self.describe()}: {lost} concurrent writes won")
                continue
            if time.monotonic() >= deadline:
                raise busy(self.describe(), holder)
            announce_wait(say, self.describe(), holder, deadline, said)
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def unlock(self, lock_id: str) -> None:
        self._drop_lock(lock_id, "qcdeploy: unlock")

    def force_unlock(self, lock_id: str) -> Doc:
        holder = _json(self.repo.files(self.repo.fetch()).get(LOCK))
        if holder is None:
            raise QcdeployError(f"the ledger at {self.describe()} is not locked")
        if holder.get("id") != lock_id:
            raise QcdeployError(f"the lock at {self.describe()} has id {holder.get('id')}, not {lock_id}")
        self._drop_lock(lock_id, f"qcdeploy: force-unlock {lock_id}")
        return holder

    def _drop_lock(self, lock_id: str, message: str) -> None:
        for _ in range(self.attempts):
            head = self.repo.fetch()
            files = self.repo.files(head)
            holder = _json(files.get(LOCK))
            if holder is None or holder.get("id") != lock_id:
                return
            del files[LOCK]
            if self.repo.push(self.repo.commit(files, head, message)):
                return
        raise LedgerError(f"could not release the lock {lock_id} at {self.describe()}")


def _json(raw: bytes | None) -> Doc | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise LedgerError("the lock on the state branch is not valid JSON; fix or revert the last commit") from None
    return value if isinstance(value, dict) else None
