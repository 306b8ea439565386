"""The scrubber every output passes through."""

from __future__ import annotations

from qcdeploy import redact


def test_redact_scrubs_longest_first():
    redact.register("abcdef")
    redact.register("abcdefgh")
    redact.register("ab")  # too short to scrub as a word: only where it stands quoted
    try:
        assert redact.scrub("x abcdefgh y abcdef ab") == "x (sensitive) y (sensitive) ab"
        assert redact.scrub('{"k": "ab"}') == '{"k": "(sensitive)"}'
    finally:
        redact.clear()
