"""git plumbing for the git state backend: the remote always after `--`; a state branch that is the checked-out
branch, or whose tree holds anything but the ledger's own files, refused; a push told apart as won, lost to a
concurrent writer (read again), or refused by the remote (an error naming the remote's message, never a retry)."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone

from qcdeploy.errors import LedgerError
from qcdeploy.ledger.backends.base import lock_info

STATE, LOCK = "state.json", "lock.json"
OWN_FILES = (STATE, LOCK)
_MISSING = ("couldn't find remote ref", "could not find remote ref")
# a push that lost a race: git's own non-fast-forward check, or the server's ref update losing to another push
_LOST = ("non-fast-forward", "fetch first", "stale info", "cannot lock ref", "failed to update ref", "incorrect old")


class GitRepo:
    """One remote branch, read into a private ref and written by plumbing; never the checked-out tree."""

    def __init__(self, remote: str, branch: str, cwd: str | None) -> None:
        self.remote, self.branch, self.cwd = remote, branch, cwd
        self.private_ref = f"refs/qcdeploy/{branch}"
        self.where = f"git:{remote}#{branch}"
        self._checked = False

    def fetch(self) -> str | None:
        """Fetch the branch into a private ref; None when the branch does not exist yet."""
        self._refuse_checked_out()
        refspec = f"+refs/heads/{self.branch}:{self.private_ref}"
        done = self.git("fetch", "--quiet", "--no-tags", "--", self.remote, refspec)
        if done.returncode != 0:
            if any(m in _err(done).lower() for m in _MISSING):
                return None
            raise LedgerError(f"cannot read the ledger from {self.where}: {_err(done)}")
        return self.ok("rev-parse", "--verify", "--quiet", f"{self.private_ref}^{{commit}}")

    def files(self, commit: str | None) -> dict[str, bytes]:
        """The ledger's files at commit; anything else on the branch is refused (it is not a ledger branch, and a
        ledger commit would replace it)."""
        if commit is None:
            return {}
        found: dict[str, bytes] = {}
        strangers: list[str] = []
        for entry in self.raw("ls-tree", "-z", commit).split(b"\0"):
            if not entry:
                continue
            meta, _, raw_name = entry.partition(b"\t")
            _mode, kind, sha = meta.decode().split()
            name = raw_name.decode(errors="replace")
            if kind == "blob" and name in OWN_FILES:
                found[name] = self.raw("cat-file", "blob", sha)
            else:
                strangers.append(name + ("/" if kind == "tree" else ""))
        if strangers:
            raise LedgerError(self._not_a_ledger_branch(strangers))
        return found

    def _not_a_ledger_branch(self, strangers: list[str]) -> str:
        shown = ", ".join(sorted(strangers)[:5]) + (f" and {len(strangers) - 5} more" if len(strangers) > 5 else "")
        return (
            f"the state branch {self.where} holds {shown} besides the ledger's own files ({', '.join(OWN_FILES)}): "
            "it is not a ledger branch (is it the branch with your manifests?), and a ledger commit there would "
            f"replace them. Give the ledger a branch of its own, such as git:{self.remote}#qcdeploy-state"
        )

    def _refuse_checked_out(self) -> None:
        """The branch checked out here (tracking this remote, or nothing) is the manifests' branch: a ledger
        commit would replace its tree. A detached HEAD (CI) has no name to compare; the tree check still holds."""
        if self._checked:
            return
        head = self.git("symbolic-ref", "--quiet", "--short", "HEAD")
        if head.returncode == 0 and head.stdout.decode().strip() == self.branch:
            tracked = self.git("config", "--get", f"branch.{self.branch}.remote").stdout.decode().strip()
            if tracked in ("", self.remote):
                raise LedgerError(
                    f"the state branch {self.where} is the branch checked out here ({self.branch}, the one with "
                    f"your manifests?): a ledger commit would replace its files. Give the ledger a branch of its "
                    f"own, such as git:{self.remote}#qcdeploy-state"
                )
        self._checked = True

    def commit(self, files: dict[str, bytes], parent: str | None, message: str) -> str:
        tree_lines = [
            f"100644 blob {self.ok('hash-object', '-w', '--stdin', data=content)}\t{name}"
            for name, content in sorted(files.items())
        ]
        tree = self.ok("mktree", data=("\n".join(tree_lines) + "\n").encode() if tree_lines else b"")
        parents = ["-p", parent] if parent else []
        return self.ok("commit-tree", tree, *parents, "-m", message + self._trailer())

    def _trailer(self) -> str:
        who = lock_info("")["who"]
        manifests = self.git("rev-parse", "HEAD")
        commit = manifests.stdout.decode().strip() if manifests.returncode == 0 else "(not a git checkout)"
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        run = os.environ.get("GITHUB_RUN_ID")
        return f"\n\nBy: {who}\nAt: {at}\nManifests-Commit: {commit}" + (f"\nCI-Run: {run}" if run else "")

    def push(self, commit: str) -> bool:
        """Compare-and-swap: True when the branch now is commit, False when someone else moved it since we read
        it; a push the remote refuses for any other reason (a hook, branch protection) is an error."""
        done = self.git("push", "--quiet", "--porcelain", "--", self.remote, f"{commit}:refs/heads/{self.branch}")
        if done.returncode == 0:
            self.git("update-ref", self.private_ref, commit)
            return True
        reasons = [
            line.split("\t")[-1] for line in done.stdout.decode(errors="replace").splitlines() if line[:1] == "!"
        ]
        if reasons and all(any(m in r.lower() for m in _LOST) for r in reasons):
            return False
        if reasons:
            raise LedgerError(f"the remote refused the ledger write to {self.where}: {_refusal(done, reasons)}")
        raise LedgerError(f"cannot write the ledger to {self.where}: {_err(done)}")

    # -- running git -------------------------------------------------------------------------------

    def git(self, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        for key, value in (("NAME", "qcdeploy"), ("EMAIL", "qcdeploy@localhost")):
            env.setdefault(f"GIT_AUTHOR_{key}", value)
            env.setdefault(f"GIT_COMMITTER_{key}", value)
        # ext:: runs a command named in the URL: never, whatever the user's git config allows
        command = ["git", "-c", "protocol.ext.allow=never", *args]
        try:
            return subprocess.run(command, input=data, capture_output=True, cwd=self.cwd, env=env, timeout=120)
        except FileNotFoundError:
            raise LedgerError("the git state backend needs git on the PATH") from None
        except subprocess.TimeoutExpired:
            raise LedgerError(f"git {args[0]} for {self.where} took longer than 120s") from None

    def raw(self, *args: str, data: bytes | None = None) -> bytes:
        done = self.git(*args, data=data)
        if done.returncode != 0:
            raise LedgerError(f"git {args[0]} for the ledger at {self.where} failed: {_err(done)}")
        return done.stdout

    def ok(self, *args: str, data: bytes | None = None) -> str:
        return self.raw(*args, data=data).decode().strip()


def _refusal(done: subprocess.CompletedProcess[bytes], reasons: list[str]) -> str:
    """The porcelain reason, e.g. "[remote rejected] (pre-receive hook declined)", and what the remote said."""
    said = [
        line[len("remote:") :].strip()
        for line in done.stderr.decode(errors="replace").splitlines()
        if line.startswith("remote:") and line[len("remote:") :].strip()
    ]
    return "; ".join(reasons) + (f": {' / '.join(said)}" if said else "")


def _err(done: subprocess.CompletedProcess[bytes]) -> str:
    return done.stderr.decode(errors="replace").strip().splitlines()[-1] if done.stderr.strip() else "no message"
