"""Where the ledger lives: a local file, a branch of a git repository, or a Terraform-style HTTP service."""

from __future__ import annotations

from qcdeploy.errors import ConfigError
from qcdeploy.ledger.backends.base import Backend
from qcdeploy.stateurl import git_parts, git_problem


def open_backend(url: str, trusted: str | None = None) -> Backend:
    """`file:PATH` (or a bare path), `git:[REMOTE][#BRANCH]`, or `http(s)://…`. trusted: the state location set
    outside the manifests, when url may come from an Environment file (the HTTP credentials go only to its host)."""
    if url.startswith("git:"):
        from qcdeploy.ledger.backends.git import GitBackend

        problem = git_problem(url)
        if problem:
            raise ConfigError(f"state {url!r} refused: {problem}")
        return GitBackend(*git_parts(url))
    if url.startswith(("http://", "https://")):
        from qcdeploy.ledger.backends.http import HttpBackend

        return HttpBackend(url, trusted=trusted)
    path = url[len("file:") :] if url.startswith("file:") else url
    if not path or "://" in path:
        raise ConfigError(f"unknown state backend {url!r}: use file:PATH, git:[REMOTE][#BRANCH] or https://URL")
    from qcdeploy.ledger.backends.file import FileBackend

    return FileBackend(path)


__all__ = ["Backend", "open_backend"]
