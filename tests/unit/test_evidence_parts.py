"""Pure parts of issue 27: LEAN versions as listed, beforeStop's wait."""

from __future__ import annotations

import pytest

from qcdeploy.planning.drainspec import seconds
from qcdeploy.quantconnect.versions import _version, newest_release


def versions(*rows):
    return {v.id: v for v in map(_version, rows)}


def test_the_newest_release_is_never_a_master_build():
    listed = versions(
        {"id": 17000, "name": "v2.5.17000", "created": "2025-10-01T00:00:00Z"},
        {"id": 17100, "name": "v2.5.17100"},
        {"id": 99999, "name": "master"},  # by name
        {"id": 99998, "name": "nightly", "ref": "refs/heads/master"},  # by ref
        {"id": -1, "name": "anything"},  # by id
    )
    newest = newest_release(listed)
    assert newest is not None and newest.id == "17100"
    assert listed["17000"].label == "17000 (v2.5.17000, 2025-10-01)"


def test_no_release_listed():
    assert newest_release(versions({"id": -1, "name": "master"})) is None


@pytest.mark.parametrize(("value", "expected"), [(60, 60.0), ("60s", 60.0), ("2m", 120.0), ("0.5s", 0.5), ("15", 15.0)])
def test_before_stop_wait(value, expected):
    assert seconds(value) == expected
