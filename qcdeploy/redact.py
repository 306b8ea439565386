"""Last line of defence against leaks: every known secret value is scrubbed from all output."""

from __future__ import annotations

import threading

SENSITIVE = "(sensitive)"
_MIN_LEN = 4  # shorter values would scrub ordinary words; the planner masks them anyway

_lock = threading.Lock()
_secrets: set[str] = set()


def register(value: str) -> None:
    """Remember a secret value so that scrub() removes it from any text."""
    if len(value) >= _MIN_LEN:
        with _lock:
            _secrets.add(value)


def scrub(text: str) -> str:
    """Replace every registered secret in text with (sensitive), longest first."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, SENSITIVE)
    return text


def clear() -> None:
    """Forget every registered secret (tests run many commands in one process)."""
    with _lock:
        _secrets.clear()
