"""The next allowed time at its hard edges: a window whose local day began the UTC day before, a first
opening beyond the cheap first search, the last days of the 400-day horizon, a machine clock in another time
zone; and what verdict and its words say."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from qcdeploy.planning.windows import schedule_from, verdict

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def schedule(**raw):
    return schedule_from([(".qcdeploy.yaml", raw)])


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone set to Kiritimati (UTC+14), far from UTC, and set back after."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_window_of_the_local_day_before_ends_on_the_same_utc_day():
    """02:00Z is 21:00 the day before in New York: the deny window 20:00-23:00 there ends at 04:00Z."""
    s = schedule(windows=[{"kind": "deny", "from": "20:00", "to": "23:00", "timeZone": "America/New_York"}])
    assert s.next_open(at("2026-12-02T02:00")) == at("2026-12-02T04:00")


def test_an_opening_past_the_first_search_is_not_skipped_for_a_later_one():
    """Frozen until day 6 10:00, then a daily deny window until 11:00, a short freeze until 11:30: 11:00."""
    s = schedule(
        windows=[{"kind": "deny", "from": "00:00", "to": "11:00"}],
        freezes=[
            {"from": "2026-12-01 00:00", "to": "2026-12-07 10:00"},
            {"from": "2026-12-07 11:15", "to": "2026-12-07 11:30"},
        ],
    )
    assert s.next_open(at("2026-12-01T12:00")) == at("2026-12-07T11:00")


def test_an_opening_on_the_last_moment_of_the_horizon_is_found():
    start = at("2026-01-01T00:00")
    s = schedule(freezes=[{"from": "2025-12-31 00:00", "to": "2027-02-03 00:00"}])  # 398 days after start
    assert s.next_open(start) == start + timedelta(days=398)


def test_an_opening_on_the_last_local_day_of_the_horizon_is_found():
    """From Monday 23:00Z, 398 days ahead ends 398 UTC days later; Tokyo's day 399 begins 9 hours before that."""
    start = at("2026-11-30T23:00")  # a Monday; day 399 after it is a Monday too (57 weeks)
    s = schedule(
        windows=[{"kind": "allow", "days": ["mon"], "from": "01:00", "to": "02:00", "timeZone": "Asia/Tokyo"}],
        freezes=[{"from": "2026-11-30", "to": "2027-12-30"}],  # over every earlier Monday
    )
    assert s.next_open(start) == at("2028-01-02T16:00")  # Monday 2028-01-03 01:00 in Tokyo


def test_a_daylight_saving_change_on_the_horizon_opens_a_window_ending_in_the_skipped_hour():
    """New York springs forward at 2026-03-08T07:00Z, 397.5 days after the start: the window ends then."""
    s = schedule(
        windows=[{"kind": "deny", "from": "01:00", "to": "02:30", "timeZone": "America/New_York"}],
        freezes=[{"from": "2025-02-01", "to": "2026-03-08 06:00"}],
    )
    assert s.next_open(at("2025-02-03T19:00")) == at("2026-03-08T07:00")


def test_the_machine_clock_zone_changes_nothing(machine_zone):
    """Kiritimati's date is a day ahead of UTC, Etc/GMT+12's a day behind: a window of that day is still found."""
    s = schedule(windows=[{"kind": "deny", "from": "22:00", "to": "23:30", "timeZone": "Etc/GMT+12"}])
    assert s.next_open(at("2026-12-02T11:00")) == at("2026-12-02T11:30")
    ny = schedule(windows=[{"kind": "deny", "days": ["mon"], "from": "00:00", "to": "12:00", "timeZone": "UTC"}])
    assert verdict(ny, at("2026-11-30T06:00"))[1] == "2026-11-30 12:00 UTC"
    tokyo = schedule(windows=[{"kind": "deny", "from": "00:00", "to": "06:00", "timeZone": "Asia/Tokyo"}])
    assert verdict(tokyo, at("2026-11-29T16:00"))[1].endswith("(2026-11-29 21:00 UTC)")


def test_an_open_moment_has_no_verdict():
    s = schedule(windows=[{"kind": "deny", "from": "09:00", "to": "10:00"}])
    assert verdict(s, at("2026-12-01T08:00")) == ("", "")


def test_a_next_time_in_etc_utc_is_said_in_utc_alone():
    s = schedule(windows=[{"kind": "deny", "from": "00:00", "to": "12:00", "timeZone": "Etc/UTC"}])
    assert verdict(s, at("2026-11-30T06:00"))[1] == "2026-11-30 12:00 UTC"
