"""Every way a server, a library or a logger may write a string back: one pattern per secret, for the scrubber.

A secret is matched character by character, each character in any of the forms it takes in JSON (`\\/`,
`\\uXXXX` in either case, surrogate pairs, double-encoded), percent-encoding (either hex case, any set of
characters kept, `+` for a space, double-encoded `%25XX`), HTML entities (named, decimal, hex, leading zeros)
and Python's repr (`\\xNN`, `\\uXXXX`, `\\UXXXXXXXX`, `\\'`). Per character rather than per encoder, so that an
encoder keeping a different set of characters (`quote(safe="/")`, JavaScript's encodeURIComponent) is covered
without being named.
"""

from __future__ import annotations

import functools
import html.entities
import re


def markers(secret: str) -> tuple[str, ...]:
    """Every encoded form of secret holds one of these: text without any can hold it only as written (plan text
    is full of `+`, which matters only for a secret with a space)."""
    return ("%", "\\", "&", "+") if " " in secret else ("%", "\\", "&")


_SHORT_ESCAPES = {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", '"': '"', "\\": "\\", "/": "/", "'": "'"}


def pattern(secret: str) -> re.Pattern[str]:
    """A regex matching secret in any of the forms above (and as written)."""
    return re.compile("".join(_char(c) for c in secret))


@functools.lru_cache(maxsize=4096)
def _char(c: str) -> str:
    """One alternation (regex source) for one character, longest forms first."""
    escaped = _backslashed(c)
    forms = {re.escape(c), *_percent(c), *_entities(c), *escaped}
    forms.update(_DOUBLE.sub(lambda m: _DOUBLED[m.group()], e) for e in escaped)  # JSON inside JSON, repr of JSON
    if c == " ":
        forms.add(r"\+")
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


# written once more inside a JSON string, each backslash and quote of an escape is escaped again (regex source)
_DOUBLE = re.compile(r'\\\\|"')
_DOUBLED = {"\\\\": "\\\\\\\\", '"': '(?:\\\\)?"'}  # a repr keeps the quote bare


def _hex(value: int, width: int) -> str:
    """value in hex, either case, as a regex."""
    digits = f"{value:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


def _percent(c: str) -> set[str]:
    data = c.encode("utf-8", "surrogatepass")
    once = "".join("%" + _hex(b, 2) for b in data)
    twice = "".join("%25" + _hex(b, 2) for b in data)
    return {once, twice}


def _entities(c: str) -> set[str]:
    cp = ord(c)
    found = {f"&#0*{cp};", f"&#[xX]0*{_hex(cp, 1)};"}
    found.update(re.escape("&" + name) for name in _NAMED.get(c, ()))
    return found


def _named() -> dict[str, list[str]]:
    by_char: dict[str, list[str]] = {}
    for name, value in html.entities.html5.items():
        if len(value) == 1:
            by_char.setdefault(value, []).append(name)
    return by_char


_NAMED = _named()


def _backslashed(c: str) -> list[str]:
    """JSON and Python escapes of c, as regex source."""
    cp = ord(c)
    forms = [re.escape("\\" + _SHORT_ESCAPES[c])] if c in _SHORT_ESCAPES else []
    if cp < 0x10000:
        forms.append(r"\\u" + _hex(cp, 4))
    else:  # JSON writes a character past the BMP as a surrogate pair
        high, low = 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)
        forms.append(r"\\u" + _hex(high, 4) + r"\\u" + _hex(low, 4))
    if cp < 0x100:
        forms.append(r"\\x" + _hex(cp, 2))
    forms.append(r"\\U" + _hex(cp, 8))
    return forms
