"""Last line of defence against leaks: every known secret value is scrubbed from all output.

By value: each secret as resolved, and in every form an echoed request may take (JSON, percent-encoding, HTML
entities, Python's repr, double-encoded: `qcdeploy.encodings`). By place: a JSON pair whose key names a
credential ("password", "token", …) has its value replaced whatever it is, which also covers secrets too short
to scrub by value ("xyz" would eat ordinary words), and the password of any `scheme://user:password@host` URL
is replaced.
"""

from __future__ import annotations

import re
import threading

from qcdeploy import encodings

SENSITIVE = "(sensitive)"
_MIN_LEN = 4  # shorter values are scrubbed only where they stand quoted, and by place

_lock = threading.Lock()
# each secret and the pattern of its encoded forms, compiled when first needed (about 2 ms a secret: a fleet of
# distinct secrets pays it only when some output holds a character an encoded form needs)
_secrets: dict[str, re.Pattern[str] | None] = {}
_short: set[str] = set()

# a key holding one of these words holds a secret: the one list (manifests.brokerages decides what a secret
# setting is with it; the sandbox keeps its own, as the API's own masking that it models)
SECRET_WORDS = ("password", "token", "secret", "private", "api-key", "apikey", "key-id", "refresh")
_SECRET_KEY = rf"[^\"\\]*(?:{'|'.join(map(re.escape, SECRET_WORDS))})[^\"\\]*"
_PAIR = re.compile(rf'("{_SECRET_KEY}"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
_ESCAPED_PAIR = re.compile(rf'(\\"{_SECRET_KEY}\\"\s*:\s*)\\"(?:[^"\\]|\\\\.)*?\\"', re.IGNORECASE)
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]*@", re.IGNORECASE)
_TOKEN_USER = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]{16,}@", re.IGNORECASE)  # https://ghp_…@github.com


def register(value: str) -> None:
    """Remember a secret value so that scrub() removes it (in every form) from any text."""
    if not value:
        return
    with _lock:
        if len(value) >= _MIN_LEN:
            _secrets.setdefault(value, None)
        else:
            _short.add(value)


def scrub(text: str) -> str:
    """Replace every registered secret in text with (sensitive), longest first; then by place."""
    with _lock:
        secrets = sorted(_secrets.items(), key=lambda item: len(item[0]), reverse=True)
        short = sorted(_short, key=len, reverse=True)
    for secret, pattern in secrets:
        if secret in text:
            text = text.replace(secret, SENSITIVE)
        if any(marker in text for marker in encodings.markers(secret)):
            text = (pattern or _compiled(secret)).sub(SENSITIVE, text)
    for secret in short:
        for quoted in (f'"{secret}"', f"'{secret}'", f'\\"{secret}\\"'):
            text = text.replace(quoted, quoted.replace(secret, SENSITIVE))
    text = _PAIR.sub(rf'\1"{SENSITIVE}"', text)
    text = _ESCAPED_PAIR.sub(rf'\1\\"{SENSITIVE}\\"', text)
    text = _USERINFO.sub(rf"\1{SENSITIVE}@", text)
    return _TOKEN_USER.sub(rf"\1{SENSITIVE}@", text)


def _compiled(secret: str) -> re.Pattern[str]:
    found = encodings.pattern(secret)
    with _lock:
        if secret in _secrets:  # not cleared meanwhile
            _secrets[secret] = found
    return found


def clear() -> None:
    """Forget every registered secret (tests run many commands in one process)."""
    with _lock:
        _secrets.clear()
        _short.clear()
