"""Which lines of a project's log are the tail of one deployment (live/logs/read numbers them project-wide)."""

from __future__ import annotations

import pytest

from qcdeploy.quantconnect.logs import tail_range


@pytest.mark.parametrize(
    ("length", "offset", "lines", "expected"),
    [
        (642, 40, 300, (342, 642)),  # a long log: its last 300 lines
        (42, 40, 100, (40, 42)),  # a short one: never the earlier deployment's lines before it
        (0, 0, 20, (0, 0)),  # nothing written yet
        (10, 40, 20, (10, 10)),  # an offset past the end (a garbled answer): nothing, not a negative range
    ],
)
def test_tail_range(length, offset, lines, expected):
    assert tail_range(length, offset, lines) == expected
