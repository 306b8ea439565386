"""The ledger on a dedicated branch of a git repository: plumbing only, never the checked-out tree.

Each write is a commit on the branch whose parent is the commit it read; the push is a compare-and-swap
(a non-fast-forward is rejected), so a concurrent writer makes us read again and re-apply the change.
The lock is a lock.json file on the same branch, taken and released by commits.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timezone

from qcdeploy.errors import ConfigError, LedgerError, QcdeployError
from qcdeploy.ledger.backends.base import Change, Doc, announce_wait, busy, describe_lock, lock_info, same_host_and_dead
from qcdeploy.stateurl import git_problem

STATE, LOCK = "state.json", "lock.json"
_REJECTED = ("rejected", "non-fast-forward", "fetch first", "failed to update ref", "stale info", "cannot lock ref")
_MISSING = ("couldn't find remote ref", "could not find remote ref")


class GitBackend:
    def __init__(self, remote: str, branch: str, cwd: str | None = None, attempts: int = 8) -> None:
        problem = git_problem(f"git:{remote}#{branch}")
        if problem:  # checked where the URL is read too; here so that no caller can skip it
            raise ConfigError(f"state git:{remote}#{branch} refused: {problem}")
        self.remote, self.branch, self.cwd, self.attempts = remote, branch, cwd, attempts
        self.private_ref = f"refs/qcdeploy/{branch}"

    def describe(self) -> str:
        return f"git:{self.remote}#{self.branch}"

    # -- reading and writing ---------------------------------------------------------------------

    def read(self) -> Doc | None:
        head = self._fetch()
        return self._state(self._files(head)) if head else None

    def update(self, change: Change, message: str) -> Doc:
        for attempt in range(self.attempts):
            head = self._fetch()
            files = self._files(head)
            doc = change(self._state(files))
            files[STATE] = (json.dumps(doc, indent=2) + "\n").encode()
            if self._push(self._commit(files, head, message)):
                return doc
            time.sleep(random.uniform(0.05, 0.2) * (attempt + 1))  # someone else wrote: read again
        raise LedgerError(f"could not write the ledger to {self.describe()}: {self.attempts} concurrent writes won")

    # -- lock ------------------------------------------------------------------------------------

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        deadline = time.monotonic() + timeout
        said: list[bool] = []
        while True:
            head = self._fetch()
            files = self._files(head)
            holder = _json(files.get(LOCK))
            if holder is not None and same_host_and_dead(holder):
                say(f"Taking over a stale lock: {describe_lock(holder)} (that process no longer exists)")
                holder = None
            if holder is None:
                files[LOCK] = json.dumps(info).encode()
                if self._push(self._commit(files, head, f"qcdeploy: lock for {info['operation']}")):
                    return
                continue
            if time.monotonic() >= deadline:
                raise busy(self.describe(), holder)
            announce_wait(say, self.describe(), holder, deadline, said)
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def unlock(self, lock_id: str) -> None:
        self._drop_lock(lock_id, "qcdeploy: unlock")

    def force_unlock(self, lock_id: str) -> Doc:
        holder = _json(self._files(self._fetch()).get(LOCK))
        if holder is None:
            raise QcdeployError(f"the ledger at {self.describe()} is not locked")
        if holder.get("id") != lock_id:
            raise QcdeployError(f"the lock at {self.describe()} has id {holder.get('id')}, not {lock_id}")
        self._drop_lock(lock_id, f"qcdeploy: force-unlock {lock_id}")
        return holder

    def _drop_lock(self, lock_id: str, message: str) -> None:
        for _ in range(self.attempts):
            head = self._fetch()
            files = self._files(head)
            holder = _json(files.get(LOCK))
            if holder is None or holder.get("id") != lock_id:
                return
            del files[LOCK]
            if self._push(self._commit(files, head, message)):
                return
        raise LedgerError(f"could not release the lock {lock_id} at {self.describe()}")

    # -- git plumbing ----------------------------------------------------------------------------

    def _git(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        for key, value in (("NAME", "qcdeploy"), ("EMAIL", "qcdeploy@localhost")):
            env.setdefault(f"GIT_AUTHOR_{key}", value)
            env.setdefault(f"GIT_COMMITTER_{key}", value)
        try:
            # ext:: runs a command named in the URL: never, whatever the user's git config allows
            command = ["git", "-c", "protocol.ext.allow=never", *args]
            return subprocess.run(command, input=data, capture_output=True, cwd=self.cwd, env=env, timeout=120)
        except FileNotFoundError:
            raise LedgerError("the git state backend needs git on the PATH") from None
        except subprocess.TimeoutExpired:
            raise LedgerError(f"git {args[0]} for {self.describe()} took longer than 120s") from None

    def _ok(self, *args: str, data: bytes | None = None) -> str:
        done = self._git(*args, data=data)
        if done.returncode != 0:
            raise LedgerError(f"git {args[0]} for the ledger at {self.describe()} failed: {_err(done)}")
        return done.stdout.decode().strip()

    def _fetch(self) -> str | None:
        """Fetch the branch into a private ref; None when the branch does not exist yet."""
        done = self._git(
            "fetch", "--quiet", "--no-tags", "--", self.remote, f"+refs/heads/{self.branch}:{self.private_ref}"
        )
        if done.returncode != 0:
            if any(m in _err(done).lower() for m in _MISSING):
                return None
            raise LedgerError(f"cannot read the ledger from {self.describe()}: {_err(done)}")
        return self._ok("rev-parse", self.private_ref)

    def _files(self, commit: str | None) -> dict[str, bytes]:
        if commit is None:
            return {}
        names = self._ok("ls-tree", "--name-only", commit).splitlines()
        return {name: self._git("cat-file", "blob", f"{commit}:{name}").stdout for name in names}

    def _commit(self, files: dict[str, bytes], parent: str | None, message: str) -> str:
        tree_lines = [
            f"100644 blob {self._ok('hash-object', '-w', '--stdin', data=content)}\t{name}"
            for name, content in sorted(files.items())
        ]
        tree = self._ok("mktree", data=("\n".join(tree_lines) + "\n").encode() if tree_lines else b"")
        parents = ["-p", parent] if parent else []
        return self._ok("commit-tree", tree, *parents, "-m", message + self._trailer())

    def _trailer(self) -> str:
        who = lock_info("")["who"]
        manifests = self._git("rev-parse", "HEAD")
        commit = manifests.stdout.decode().strip() if manifests.returncode == 0 else "(not a git checkout)"
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        run = os.environ.get("GITHUB_RUN_ID")
        return f"\n\nBy: {who}\nAt: {at}\nManifests-Commit: {commit}" + (f"\nCI-Run: {run}" if run else "")

    def _push(self, commit: str) -> bool:
        """Compare-and-swap: False when someone else moved the branch since we read it."""
        done = self._git("push", "--quiet", "--porcelain", "--", self.remote, f"{commit}:refs/heads/{self.branch}")
        if done.returncode == 0:
            self._git("update-ref", self.private_ref, commit)
            return True
        text = (_err(done) + done.stdout.decode()).lower()
        if any(m in text for m in _REJECTED):
            return False
        raise LedgerError(f"cannot write the ledger to {self.describe()}: {_err(done)}")

    @staticmethod
    def _state(files: dict[str, bytes]) -> Doc | None:
        return _json(files.get(STATE))


def _json(raw: bytes | None) -> Doc | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise LedgerError("the ledger on the state branch is not valid JSON; fix or revert the last commit") from None
    return value if isinstance(value, dict) else None


def _err(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stderr.decode(errors="replace").strip().splitlines()[-1] if done.stderr.strip() else "no message"
