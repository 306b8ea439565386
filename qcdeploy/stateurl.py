"""The git form of a state URL, `git:[REMOTE][#BRANCH]`, read in one place and checked so that neither part can
ever reach git as an option: a state URL can come from a pull request (an Environment file's `spec.state`), and
the job that plans it holds the QuantConnect API token."""

from __future__ import annotations

import re

DEFAULT_REMOTE, DEFAULT_BRANCH = "origin", "qcdeploy-state"

# git check-ref-format's rules for a branch name, plus no leading '-' (git's own --branch check)
_BAD_IN_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|\.lock(/|$)")


def git_parts(url: str) -> tuple[str, str]:
    """(remote, branch) of a `git:` URL, defaults filled in; not checked (see git_problem)."""
    remote, _, branch = url[len("git:") :].partition("#")
    return remote or DEFAULT_REMOTE, branch or DEFAULT_BRANCH


def git_problem(url: str) -> str | None:
    """Why this `git:` URL is refused, or None. Other URLs are not this module's to judge."""
    if not url.startswith("git:"):
        return None
    remote, branch = git_parts(url)
    if remote.startswith("-"):
        return f"the git remote {remote!r} starts with '-': git would read it as an option"
    if any(ord(c) < 32 or c == "\x7f" for c in remote):
        return f"the git remote {remote!r} contains a control character"
    if remote.lower().startswith(("ext::", "fd::")):
        return f"the git remote {remote!r} uses a transport that runs a command or reads a descriptor"
    return _branch_problem(branch)


def _branch_problem(branch: str) -> str | None:
    if branch.startswith("-"):
        return f"the state branch {branch!r} starts with '-': git would read it as an option"
    if branch.startswith(("/", ".", "refs/")) or branch.endswith(("/", ".")) or _BAD_IN_REF.search(branch):
        return (
            f"the state branch {branch!r} is not a valid branch name (no spaces, '..', '~^:?*[\\', '@{{', "
            "leading '.', '/' or 'refs/', trailing '/', '.' or '.lock')"
        )
    return None
