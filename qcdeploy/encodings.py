"""Every way a server, a library or a logger may write a string back: one pattern per secret, for the scrubber.

A secret is matched character by character, each character in any of the forms it takes in JSON (`\\/`,
`\\uXXXX` in either case, surrogate pairs, a JSON string inside another to any depth), percent-encoding (either
hex case, any set of characters kept, `+` for a space, double-encoded `%25XX`), HTML entities (named, decimal,
hex, leading zeros) and Python's repr (`\\xNN`, `\\uXXXX`, `\\UXXXXXXXX`, `\\'`). Per character rather than per
encoder, so that an encoder keeping a different set of characters (`quote(safe="/")`, JavaScript's
encodeURIComponent) is covered without being named. A JSON or repr escape may itself be percent- or
entity-encoded (a JSON body sent in a URL's query, echoed into an HTML page), an HTML entity percent-encoded or
escaped twice (`%26lt%3B`, `&amp;lt;`), and a form-encoded `+` percent-encoded again (`%2B` for a space).
"""

from __future__ import annotations

import functools
import html.entities
import re


def markers(secret: str) -> tuple[str, ...]:
    """Every encoded form of secret holds one of these: text without any can hold it only as written (plan text
    is full of `+`, which matters only for a secret with a space)."""
    return ("%", "\\", "&", "+") if " " in secret else ("%", "\\", "&")


# after a backslash: the character itself for these (JSON's and Python's short escapes, \/ included)
_SHORT_ESCAPES = {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", '"': '"', "\\": "\\", "/": "/", "'": "'"}
# a backslash as written or percent-encoded (a JSON body in a URL's query; an HTML encoder leaves it alone)
_ONE_BACKSLASH = r"(?:\\|%(?:25)?5[cC])"
# a backslash escape, once or inside other JSON strings or reprs (its backslash doubled at each level: 2**n - 1
# of them n levels deep). Bounded: an unbounded run made a scrub quadratic in a run of backslashes (16,000 of them
# took 2.7 s), since the search tries the run from each of its positions; 15 is JSON four levels deep
_BACKSLASH = _ONE_BACKSLASH + "{1,15}"
# an entity's punctuation as written or percent-encoded; its & also escaped again (`&amp;`), any number of times
_HASH, _SEMI = r"(?:#|%(?:25)?23)", r"(?:;|%(?:25)?3[bB])"
_AMP = rf"(?:&|%(?:25)?26)(?:amp{_SEMI})*"


def pattern(secret: str) -> re.Pattern[str]:
    """A regex matching secret in any of the forms above (and as written)."""
    return re.compile("".join(_char(c) for c in secret))


@functools.lru_cache(maxsize=4096)
def _char(c: str) -> str:
    """One alternation (regex source) for one character: as written, percent-, backslash- or entity-encoded."""
    forms = [re.escape(c), _percent(c), _BACKSLASH + _backslashed(c), _entities(c)]
    if c == " ":
        forms += [r"\+", _percent("+")]
    return "(?:" + "|".join(forms) + ")"


def _escaping(c: str) -> str:
    """A character of an escape sequence: as written, or itself percent- or entity-encoded."""
    return "(?:" + "|".join([re.escape(c), _percent(c), _entities(c)]) + ")"


def _hex(value: int, width: int) -> str:
    """value in hex, either case, as a regex."""
    digits = f"{value:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


def _percent(c: str) -> str:
    """Each UTF-8 byte as %XX, or double-encoded as %25XX."""
    return "".join("%(?:25)?" + _hex(b, 2) for b in c.encode("utf-8", "surrogatepass"))


def _entities(c: str) -> str:
    """c as an HTML entity: its `&`, `#` and `;` also percent-encoded, and the `&` escaped again (HTML escaped
    twice, `&amp;lt;`)."""
    cp = ord(c)
    named = "".join("|" + _entity_name(name) for name in _NAMED.get(c, ()))
    return f"{_AMP}(?:{_HASH}(?:0*{cp}|[xX]0*{_hex(cp, 1)}){_SEMI}{named})"


def _entity_name(name: str) -> str:
    """A named entity after its `&`, its closing `;` (most names have one) in any form."""
    return re.escape(name.removesuffix(";")) + (_SEMI if name.endswith(";") else "")


def _named() -> dict[str, list[str]]:
    by_char: dict[str, list[str]] = {}
    for name, value in html.entities.html5.items():
        if len(value) == 1:
            by_char.setdefault(value, []).append(name)
    return by_char


_NAMED = _named()


def _backslashed(c: str) -> str:
    """What follows the backslash in JSON's and Python's escapes of c: `uXXXX` (a surrogate pair past the BMP,
    each half with its own backslash), `xNN`, `UXXXXXXXX`, or the short escape (after the run of backslashes a
    JSON string inside another has, `\\\"`; percent- or entity-encoded too, `\\&quot;`)."""
    cp = ord(c)
    if cp < 0x10000:
        forms = ["u" + _hex(cp, 4)]
    else:  # JSON writes a character past the BMP as a surrogate pair
        high, low = 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)
        forms = ["u" + _hex(high, 4) + _BACKSLASH + "u" + _hex(low, 4)]
    if cp < 0x100:
        forms.append("x" + _hex(cp, 2))
    forms.append("U" + _hex(cp, 8))
    if c in _SHORT_ESCAPES:
        forms.append(_escaping(_SHORT_ESCAPES[c]))
    return "(?:" + "|".join(forms) + ")"
