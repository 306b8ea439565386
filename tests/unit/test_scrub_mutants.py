"""The scrubber's rules one at a time, each with its secret under a key that says nothing: when the encoded-form
pattern runs (a secret without a space, whatever other markers the text holds), which secrets count as short,
the order secrets are replaced in, the pattern cache; and every encoding form built afresh (the per-character
cache cleared), so that a broken form cannot hide behind forms compiled earlier in the same process."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from qcdeploy import encodings, redact
from tests.unit.test_redact import FORMS, SECRET

PLAIN = "hunter2/Ab"  # no space: its encoded forms are looked for only where a %, \ or & stands
WHOLE = r"note: ['\"]*\(sensitive\)['\"]*\."  # the whole secret gone (a repr's quotes stay)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    encodings._char.cache_clear()
    yield
    redact.clear()


def scrubbed(secret: str, text: str) -> str:
    redact.register(secret)
    return redact.scrub(text)


@pytest.mark.parametrize("form", FORMS)
def test_each_form_built_afresh_is_scrubbed(form):
    assert re.fullmatch(WHOLE, scrubbed(SECRET, f"note: {FORMS[form](SECRET)}."))


@pytest.mark.parametrize("form", FORMS)
def test_each_form_of_a_secret_without_a_space(form):
    assert re.fullmatch(WHOLE, scrubbed(PLAIN, f"note: {FORMS[form](PLAIN)}."))


@pytest.mark.parametrize(
    "encoded",
    [quote(PLAIN, safe=""), json.dumps(PLAIN)[1:-1].replace("/", "\\/"), "".join(f"&#{ord(c)};" for c in PLAIN)],
    ids=["percent only", "backslash only", "entities only"],
)
def test_one_marker_is_enough_to_look_for_encoded_forms(encoded):
    assert scrubbed(PLAIN, f"note {encoded} end") == f"note {redact.SENSITIVE} end"


def test_a_text_holding_every_marker_is_still_searched():
    out = scrubbed(PLAIN, f"a\\b & c%20 {quote(PLAIN, safe='')}")
    assert out == f"a\\b & c%20 {redact.SENSITIVE}"


def test_a_plus_alone_does_not_hide_a_form_encoded_secret_with_a_space():
    assert scrubbed("pass word", "q=pass+word") == f"q={redact.SENSITIVE}"


def test_a_four_character_secret_is_scrubbed_wherever_it_stands():
    assert scrubbed("wxyz", "a wxyz b") == f"a {redact.SENSITIVE} b"


def test_a_longer_secret_goes_before_one_inside_it_whatever_their_spelling():
    redact.register("bcde")  # sorts after "abcdef" as text, so only its length puts it second
    assert scrubbed("abcdef", "x abcdef y") == f"x {redact.SENSITIVE} y"


def test_a_longer_short_secret_goes_before_one_inside_it():
    redact.register("b")
    assert scrubbed('a"b', 'x "a"b" y') == f'x "{redact.SENSITIVE}" y'


def test_a_secrets_pattern_is_compiled_once(monkeypatch):
    calls: list[str] = []
    compile_pattern = encodings.pattern

    def counted(secret: str) -> re.Pattern[str]:
        calls.append(secret)
        return compile_pattern(secret)

    monkeypatch.setattr(encodings, "pattern", counted)
    text = f"x {quote(PLAIN, safe='')}"
    assert scrubbed(PLAIN, text) == scrubbed(PLAIN, text) == f"x {redact.SENSITIVE}"
    assert calls == [PLAIN]


def test_a_secret_cleared_while_its_pattern_compiles_stays_forgotten(monkeypatch):
    compile_pattern = encodings.pattern

    def cleared_meanwhile(secret: str) -> re.Pattern[str]:
        redact.clear()
        return compile_pattern(secret)

    monkeypatch.setattr(encodings, "pattern", cleared_meanwhile)
    scrubbed(PLAIN, f"x {quote(PLAIN, safe='')}")
    monkeypatch.undo()
    assert redact.scrub(f"x {PLAIN}") == f"x {PLAIN}"


def test_a_secret_with_bytes_that_are_not_utf8_is_scrubbed_in_json():
    """An environment variable's undecodable bytes reach Python as lone surrogates (surrogateescape)."""
    secret = "pw\udcffword"
    assert scrubbed(secret, f"a {json.dumps(secret)} b") == f'a "{redact.SENSITIVE}" b'


def test_json_writes_the_first_character_past_the_bmp_as_a_surrogate_pair():
    secret = "key\U00010000z"
    assert scrubbed(secret, json.dumps({"note": secret})) == f'{{"note": "{redact.SENSITIVE}"}}'


def test_every_name_of_a_character_is_an_entity_of_it():
    assert scrubbed("a&b/c1", "x a&AMP;b&sol;c1 y") == f"x {redact.SENSITIVE} y"


def test_a_legacy_entity_without_its_semicolon():
    assert scrubbed("w\u00f6rd1", "x w&oumlrd1 y") == f"x {redact.SENSITIVE} y"


def test_a_hex_entity_may_have_a_single_digit():
    assert scrubbed("ab\tcd", "x ab&#x9;cd y") == f"x {redact.SENSITIVE} y"


def test_an_escape_of_a_control_character_and_a_digit_is_not_a_character_past_xff():
    text = "x ab\\x100d y"  # in a repr: ab, the control character \x10, then 0d
    assert scrubbed("ab\u0100d", text) == text


def test_every_single_character_html_entity_is_known_by_name():
    named = encodings._named()
    assert {"amp;", "amp", "AMP;", "AMP"} <= set(named["&"]) and "sol;" in named["/"]
    assert all(len(c) == 1 for c in named) and "fjlig;" not in {n for names in named.values() for n in names}


LAYERED = {
    "a JSON body percent-encoded into a URL": lambda s: quote(json.dumps({"note": s}), safe=""),
    "a JSON body percent-encoded, keeping /": lambda s: quote(json.dumps({"note": s})),
    "a JSON body echoed into an HTML page": lambda s: html.escape(json.dumps({"note": s})),
    "a form-encoded value percent-encoded again": lambda s: quote(quote_plus(s, safe=""), safe=""),
    "JSON inside JSON inside JSON": lambda s: json.dumps(json.dumps(json.dumps({"note": s}))),
    "JSON four levels deep (15 backslashes before a quote)": lambda s: json.dumps(
        json.dumps(json.dumps(json.dumps({"note": s})))
    ),
    "HTML escaped twice": lambda s: html.escape(html.escape(s.encode("ascii", "xmlcharrefreplace").decode())),
    "HTML entities percent-encoded": lambda s: quote(html.escape(s.encode("ascii", "xmlcharrefreplace").decode())),
}


@pytest.mark.parametrize("form", LAYERED)
@pytest.mark.parametrize("secret", ['pa"ss\\wörd 1', "tab\there ✓"], ids=["quote, backslash", "tab, non-ASCII"])
def test_a_secret_escaped_by_json_or_form_and_then_encoded_again(form, secret):
    """JSON escapes `"`, `\\`, control and non-ASCII characters with a backslash (doubled at each level of JSON
    inside JSON); percent- or HTML-encoding the whole body encodes that backslash or the character after it, a
    form's `+` for a space becomes `%2B`, and an HTML entity's `&` is escaped again or percent-encoded."""
    hidden = LAYERED[form]("QQQQ").replace("QQQQ", redact.SENSITIVE)  # the same text, the whole secret gone
    assert scrubbed(secret, f"GET /x?body={LAYERED[form](secret)}") == f"GET /x?body={hidden}"
