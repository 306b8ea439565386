"""Hold the ledger's lock, in whatever backend it lives, for the length of a block."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qcdeploy.ledger.backends.base import Backend, Doc, lock_info


@contextmanager
def held(
    backend: Backend,
    operation: str,
    timeout: float = 0.0,
    say: Callable[[str], None] = print,
    environment: str | None = None,
) -> Iterator[Doc]:
    """Take the lock (waiting up to timeout seconds), and release it however the block ends. The lock names the
    environment whose ledger it guards, so a run that finds it held can say how to remove it."""
    info = lock_info(operation, environment)
    backend.lock(info, timeout, say)
    try:
        yield info
    finally:
        backend.unlock(info["id"])
