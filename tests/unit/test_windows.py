"""Change windows: allow, deny, freeze, time zones, past midnight, the preset, the next open time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qcdeploy.errors import ConfigError
from qcdeploy.planning.windows import schedule_from, verdict

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def schedule(**raw):
    return schedule_from([(".qcdeploy.yaml", raw)])


def test_the_us_equities_preset_denies_new_york_market_hours_on_weekdays_only():
    s = schedule(**{"market-hours": "us-equities"})
    # Thursday 2026-11-26 is in EST (UTC-5): 09:30 New York is 14:30 UTC
    assert s.closed(at("2026-11-26T14:29")) == ""
    assert "deny window mon,tue,wed,thu,fri 09:30-16:00 America/New_York" in s.closed(at("2026-11-26T14:30"))
    assert s.next_open(at("2026-11-26T15:00")) == at("2026-11-26T21:00")
    assert s.closed(at("2026-11-28T15:00")) == ""  # Saturday


def test_time_zones_follow_daylight_saving():
    s = schedule(**{"market-hours": "us-equities"})
    # in July New York is UTC-4: 09:30 there is 13:30 UTC
    assert s.closed(at("2026-07-15T13:31")) and not s.closed(at("2026-07-15T13:29"))


def test_allow_windows_close_everything_else_and_deny_wins_over_allow():
    s = schedule(
        windows=[
            {"kind": "allow", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "18:00", "to": "22:00"},
            {"kind": "deny", "days": ["thu"], "from": "20:00", "to": "21:00"},
        ]
    )
    assert "outside every allow window" in s.closed(at("2026-11-26T12:00"))
    assert s.closed(at("2026-11-26T19:00")) == ""
    assert "deny window thu" in s.closed(at("2026-11-26T20:30"))
    assert s.next_open(at("2026-11-26T20:30")) == at("2026-11-26T21:00")
    assert s.next_open(at("2026-11-27T23:00")) == at("2026-11-30T18:00")  # Friday night -> Monday


def test_a_window_past_midnight_runs_into_the_next_day():
    s = schedule(windows=[{"kind": "deny", "days": ["fri"], "from": "22:00", "to": "02:00"}])
    assert s.closed(at("2026-11-27T23:00")) and s.closed(at("2026-11-28T01:59"))  # Fri 23:00, Sat 01:59
    assert not s.closed(at("2026-11-28T02:00")) and not s.closed(at("2026-11-26T23:00"))  # Sat 02:00, Thu


def test_freezes_are_whole_days_in_their_time_zone_and_name_their_reason():
    s = schedule(
        freezes=[{"from": "2026-12-24", "to": "2026-12-26", "timeZone": "America/New_York", "reason": "holidays"}]
    )
    assert not s.closed(at("2026-12-24T04:59"))  # still the 23rd in New York
    why, nxt = verdict(s, at("2026-12-25T12:00"))
    assert "freeze 2026-12-24..2026-12-26 America/New_York (holidays)" in why
    assert nxt == "2026-12-27 05:00 UTC"


def test_yaml_reads_an_unquoted_time_as_minutes_and_that_still_works():
    s = schedule(windows=[{"kind": "deny", "from": 570, "to": 960, "timeZone": "UTC"}])  # 09:30, 16:00
    assert s.closed(at("2026-11-26T09:30")) and not s.closed(at("2026-11-26T16:00"))


def test_no_open_time_within_the_horizon_is_said_so():
    s = schedule(windows=[{"kind": "deny", "from": "00:00", "to": "00:00"}])  # always, every day
    assert verdict(s, at("2026-11-26T12:00"))[1] == "not within 400 days"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"windows": [{"kind": "maybe", "from": "1:00", "to": "2:00"}]}, "kind must be allow or deny"),
        ({"windows": [{"kind": "deny", "from": "25:00", "to": "2:00"}]}, 'is not a time of day such as "09:30"'),
        (
            {"windows": [{"kind": "deny", "from": "1:00", "to": "2:00", "timeZone": "Mars/Olympus"}]},
            "not an IANA time zone",
        ),
        ({"windows": [{"kind": "deny", "days": ["someday"], "from": "1:00", "to": "2:00"}]}, "days must be a list"),
        ({"windows": [{"kind": "deny", "from": "1:00", "to": "2:00", "tz": "UTC"}]}, "unknown key(s) tz"),
        ({"freezes": [{"from": "2026-12-26", "to": "2026-12-24"}]}, "is before from"),
        ({"market-hours": "lse"}, "unknown preset 'lse'"),
        ({"windows": {"kind": "deny"}}, "windows must be a list"),
    ],
)
def test_bad_entries_are_named_with_their_file_and_place(raw, message):
    with pytest.raises(ConfigError) as exc:
        schedule(**raw)
    assert message in str(exc.value) and str(exc.value).startswith(".qcdeploy.yaml")


def test_a_freeze_holds_through_the_last_minute_of_its_last_day():
    s = schedule(freezes=[{"from": "2026-12-24", "to": "2026-12-26", "timeZone": "America/New_York"}])
    assert "freeze" in s.closed(at("2026-12-27T04:59"))  # 23:59 on the 26th in New York
    assert s.closed(at("2026-12-27T05:00")) == ""


def test_with_several_allow_windows_any_one_open_is_enough():
    s = schedule(
        windows=[
            {"kind": "allow", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "06:00", "to": "08:00"},
            {"kind": "allow", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "18:00", "to": "22:00"},
        ]
    )
    assert s.closed(at("2026-11-26T07:00")) == "" and s.closed(at("2026-11-26T19:00")) == ""
    assert "outside every allow window" in s.closed(at("2026-11-26T12:00"))


def test_a_one_day_freeze_holds_from_its_first_minute():
    s = schedule(freezes=[{"from": "2026-12-25", "to": "2026-12-25"}])
    assert s.closed(at("2026-12-25T00:00")) and not s.closed(at("2026-12-24T23:59"))


def test_a_window_past_midnight_from_sunday_runs_into_monday():
    s = schedule(windows=[{"kind": "deny", "days": ["sun"], "from": "22:00", "to": "02:00"}])
    assert s.closed(at("2026-11-30T01:00"))  # Monday 01:00
    assert not s.closed(at("2026-11-24T01:00"))  # Tuesday 01:00


@pytest.mark.parametrize(("minutes", "open_at"), [(0, "2026-11-26T00:00"), (1439, "2026-11-26T23:59")])
def test_unquoted_times_at_the_ends_of_the_day(minutes, open_at):
    s = schedule(windows=[{"kind": "allow", "from": minutes, "to": minutes + 1 if minutes < 1439 else 0}])
    assert s.closed(at(open_at)) == ""


def test_times_with_seconds_and_minutes_past_the_day_are_read_or_refused():
    s = schedule(windows=[{"kind": "deny", "from": "09:30:30", "to": "10:00"}])
    assert not s.closed(at("2026-11-26T09:30:29")) and s.closed(at("2026-11-26T09:30:30"))
    with pytest.raises(ConfigError, match="is not a time of day"):
        schedule(windows=[{"kind": "deny", "from": 1440, "to": "10:00"}])


def test_days_may_be_written_in_full_and_an_empty_list_or_an_unknown_freeze_key_is_refused():
    s = schedule(windows=[{"kind": "deny", "days": ["Thursday", "friday"], "from": "09:00", "to": "10:00"}])
    assert s.closed(at("2026-11-26T09:30")) and not s.closed(at("2026-11-25T09:30"))  # Thursday, Wednesday
    with pytest.raises(ConfigError, match="days must be a list"):
        schedule(windows=[{"kind": "deny", "days": [], "from": "09:00", "to": "10:00"}])
    with pytest.raises(ConfigError, match=r"unknown key\(s\) tz"):
        schedule(freezes=[{"from": "2026-12-24", "to": "2026-12-26", "tz": "UTC"}])


def test_unquoted_times_keep_their_minutes():
    s = schedule(windows=[{"kind": "deny", "from": 570, "to": 960, "timeZone": "UTC"}])  # 09:30, 16:00
    assert not s.closed(at("2026-11-26T09:29")) and s.closed(at("2026-11-26T15:59"))
