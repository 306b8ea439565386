"""The scrubber every output passes through: each rule alone, each encoding of a secret alone."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from qcdeploy import redact

# a slash, a space, a quote, a backslash, non-ASCII and a character past the BMP: each encoder changes some
SECRET = 'pw/ä "q\\x-7Zk😀'


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    yield
    redact.clear()


def _every_char_u(s: str, upper: bool = False) -> str:
    """\\uXXXX for every character (surrogate pairs past the BMP), as some JSON writers do."""
    data = s.encode("utf-16-be")
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return "".join(f"\\u{unit:04X}" if upper else f"\\u{unit:04x}" for unit in units)


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


FORMS: dict[str, Callable[[str], str]] = {
    "as written": lambda s: s,
    "JSON": lambda s: json.dumps(s)[1:-1],
    "JSON, non-ASCII kept": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "JSON with \\/": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "JSON, \\uXXXX for every char": _every_char_u,
    "JSON, \\uXXXX upper-case hex": lambda s: _every_char_u(s, upper=True),
    "JSON double-encoded": lambda s: json.dumps(json.dumps(s)[1:-1])[1:-1],
    "JSON double-encoded, non-ASCII kept": lambda s: json.dumps(json.dumps(s, ensure_ascii=False)[1:-1])[1:-1],
    "percent, upper hex": lambda s: quote(s, safe=""),
    "percent, lower hex": lambda s: _lower_hex(quote(s, safe="")),
    "percent keeping /": lambda s: quote(s),
    "percent keeping /, lower hex": lambda s: _lower_hex(quote(s)),
    "percent double-encoded": lambda s: quote(quote(s, safe=""), safe=""),
    "form-encoded (+ for space)": lambda s: quote_plus(s, safe=""),
    "form-encoded keeping /": lambda s: quote_plus(s, safe="/"),
    "HTML named entities": lambda s: html.escape(s),
    "HTML decimal entities": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "HTML hex entities": lambda s: "".join(f"&#x{ord(c):X};" for c in s),
    "HTML decimal entities, zero-padded": lambda s: "".join(f"&#{ord(c):07d};" for c in s),
    "HTML entities for non-ASCII only": lambda s: s.encode("ascii", "xmlcharrefreplace").decode(),
    "Python repr": repr,
    "Python ascii()": ascii,
    "Python unicode_escape (\\xNN, \\UXXXXXXXX)": lambda s: s.encode("unicode_escape").decode("ascii"),
    "Python repr of the JSON": lambda s: repr(json.dumps(s)),
}


@pytest.mark.parametrize("form", FORMS)
def test_each_encoding_of_a_secret_is_scrubbed_by_value(form):
    """Under a key that says nothing, so that no rule by place can be what hides it."""
    encoded = FORMS[form](SECRET)
    redact.register(SECRET)
    text = f'{{"note": "{encoded}"}} and again: {encoded}.'
    scrubbed = redact.scrub(text)
    assert encoded not in scrubbed and scrubbed.count(redact.SENSITIVE) == 2, scrubbed


@pytest.mark.parametrize("form", FORMS)
def test_an_ascii_secret_in_each_encoding(form):
    """The common case: a plain ASCII password with a slash and a space, which most encoders still change."""
    secret = "Tr0ub4dor/3 horse"
    encoded = FORMS[form](secret)
    redact.register(secret)
    scrubbed = redact.scrub(f"Login failed for {encoded}")
    assert re.fullmatch(r"Login failed for ['\"]*\(sensitive\)['\"]*", scrubbed), scrubbed  # a repr's quotes stay


def test_similar_text_is_left_alone():
    redact.register("abcd/efgh")
    text = "abcd/efgX abcd%2Fefg abcdefgh %61bcd"
    assert redact.scrub(text) == text


def test_by_value_longest_first():
    redact.register("abcdef")
    redact.register("abcdefgh")
    assert redact.scrub("x abcdefgh y abcdef") == "x (sensitive) y (sensitive)"


def test_a_short_secret_only_where_it_stands_quoted():
    redact.register("xyz")  # too short to scrub as a word: it would eat ordinary text
    assert redact.scrub("a xyz b") == "a xyz b"
    assert redact.scrub('{"note": "xyz"}') == '{"note": "(sensitive)"}'
    assert redact.scrub("note='xyz'") == "note='(sensitive)'"
    assert redact.scrub('{\\"note\\": \\"xyz\\"}') == '{\\"note\\": \\"(sensitive)\\"}'


def test_by_place_a_credential_key_hides_any_value():
    """No secret registered: the key name alone decides."""
    assert redact.scrub('{"ib-password": "anything"}') == '{"ib-password": "(sensitive)"}'
    assert redact.scrub('{"note": "anything"}') == '{"note": "anything"}'


def test_by_place_an_escaped_pair():
    escaped = '{\\"api-key\\": \\"anything\\"}'
    assert redact.scrub(escaped) == '{\\"api-key\\": \\"(sensitive)\\"}'


def test_by_place_the_password_of_a_url():
    assert redact.scrub("https://u:pa55@host/x") == "https://u:(sensitive)@host/x"
    assert redact.scrub("https://ghp_0123456789abcdef0123@github.com/o/r") == "https://(sensitive)@github.com/o/r"
    assert redact.scrub("https://host/x") == "https://host/x"
