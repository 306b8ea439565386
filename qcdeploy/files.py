"""Every file qcdeploy reads is read here: a regular file, no larger than a limit, or a `file:` error.

A manifest or ledger that is a symlink to /dev/zero or /dev/urandom would otherwise be read until the kernel
kills the process, a FIFO would block forever, and a directory or socket gives an error that names no file.
The type is checked before the file is opened (a device is never opened) and again on the open descriptor
(the path may have changed in between); the size is checked on the descriptor and again while reading, since
a regular file may grow.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any, BinaryIO

from qcdeploy.errors import QcdeployError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_CHUNK = 1024 * 1024
MAX_DIGITS = 30  # a project id has 8 digits, a serial a few; Python refuses to parse past 4,300
MAX_FLOAT = 1e15  # a dollar amount or a period, far past any real one; finite doubles beyond are nonsense here


class Unreadable(QcdeployError):
    """A file that is not a regular file, is too large, or cannot be read as UTF-8 text."""


def read_text(path: str | Path, limit: int, setting: str = "") -> str:
    """The file's text, read only if it is a regular file of at most limit bytes (setting: how to raise it)."""
    data = read_bytes(path, limit, setting)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{path}: cannot read: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_bytes(path: str | Path, limit: int, setting: str = "") -> bytes:
    """The file's bytes, under the same rules as read_text."""
    try:
        _refuse_kind(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:  # no file at all is the caller's case (a ledger not yet written)
        raise
    except OSError as exc:
        raise Unreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        _refuse_kind(path, info.st_mode)
        _refuse_size(path, info.st_size, limit, setting)
        data = _read_upto(fh, limit + 1)
    _refuse_size(path, len(data), limit, setting)
    return data


def _read_upto(fh: BinaryIO, most: int) -> bytes:
    """At most `most` bytes, in chunks: read(most) would allocate all of `most` at once, whatever the file holds."""
    chunks: list[bytes] = []
    total = 0
    while total < most:
        chunk = fh.read(min(_CHUNK, most - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _refuse_kind(path: str | Path, mode: int) -> None:
    for test, kind in _KINDS:
        if test(mode):
            raise Unreadable(f"{path}: not a regular file ({kind}); refused before reading")
    if not stat.S_ISREG(mode):
        raise Unreadable(f"{path}: not a regular file; refused before reading")


def _refuse_size(path: str | Path, size: int, limit: int, setting: str) -> None:
    if size > limit:
        how = f" ({setting})" if setting else ""
        raise Unreadable(f"{path}: {size} bytes, over the limit of {limit}{how}")


def load_json(text: str, path: str | Path) -> Any:
    """JSON with sane numbers only: no NaN/Infinity, no float past MAX_FLOAT (1e999 reads as inf), no integer of
    more than MAX_DIGITS digits; a `path:line:col` error naming the number otherwise."""

    def refuse(literal: str) -> Any:
        raise _BadNumber(literal)

    def number(literal: str) -> float:
        value = float(literal)
        return value if math.isfinite(value) and abs(value) <= MAX_FLOAT else refuse(literal)

    def integer(literal: str) -> int:
        return int(literal) if len(literal.lstrip("-")) <= MAX_DIGITS else refuse(literal)

    try:
        return json.loads(text, parse_constant=refuse, parse_float=number, parse_int=integer)
    except _BadNumber as exc:
        line, col = _position(text, exc.literal)
        shown = exc.literal if len(exc.literal) <= 40 else exc.literal[:20] + "…"
        raise Unreadable(
            f"{path}:{line}:{col}: {shown} is not a number qcdeploy accepts (too large or not finite)"
        ) from None


class _BadNumber(ValueError):
    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _position(text: str, literal: str) -> tuple[int, int]:
    """Where literal first stands as a JSON token (not inside a string): 1-based line and column."""
    found = re.search(rf'(?<![\w."]){re.escape(literal)}(?![\w.])', text)
    at = found.start() if found else 0
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1
