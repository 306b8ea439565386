"""Change windows: allow, deny, freeze, time zones, past midnight, the preset, the next open time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qcdeploy.errors import ConfigError
from qcdeploy.planning.transitions import transitions
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
    assert nxt == "2026-12-27 00:00 America/New_York (05:00 UTC)"  # as the freeze is written, and in UTC


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
        ({"freezes": [{"from": "2026-12-26", "to": "2026-12-24"}]}, "is not after from"),
        ({"freezes": [{"from": "2026-12-26", "to": "9999-12-31"}]}, "out of the range of dates"),
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


def test_the_next_allowed_time_on_a_fall_back_night_is_the_same_night():
    """New York falls back at 06:00Z on 2026-11-01; at 01:10 EST (06:10Z) a deny 00:00-01:30 window holds until
    01:30 EST, 06:30Z. It was named as 11-02 06:30Z, a day late."""
    s = schedule(windows=[{"kind": "deny", "from": "00:00", "to": "01:30", "timeZone": "America/New_York"}])
    assert s.next_open(at("2026-11-01T06:10")) == at("2026-11-01T06:30")


def test_the_next_allowed_time_when_a_window_ends_in_the_skipped_hour_is_the_change():
    """Spring forward, 2026-03-08 07:00Z (02:00 EST -> 03:00 EDT): a window ending at 02:30 ends at the change."""
    s = schedule(windows=[{"kind": "deny", "from": "01:00", "to": "02:30", "timeZone": "America/New_York"}])
    assert s.next_open(at("2026-03-08T06:30")) == at("2026-03-08T07:00")


ZONES = ("America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago")
WINDOWS = (
    {"kind": "deny", "from": "00:00", "to": "01:30"},
    {"kind": "deny", "from": "01:30", "to": "03:00"},
    {"kind": "deny", "from": "02:15", "to": "02:45"},
    {"kind": "deny", "from": "23:00", "to": "02:30"},
    {"kind": "allow", "from": "02:15", "to": "04:00"},
    {"kind": "allow", "from": "00:30", "to": "01:15"},
    {"kind": "deny", "days": ["sat", "sun"], "from": "22:00", "to": "03:30"},
)


def scanned(s, start: datetime) -> datetime:
    """The first whole minute from start on when changes are allowed, found minute by minute."""
    moment = start
    while s.closed(moment):
        moment += timedelta(minutes=1)
    return moment


@pytest.mark.parametrize("zone", ZONES)
def test_the_next_allowed_time_is_exact_around_every_transition_of_a_year(zone):
    """Every daylight-saving change of 2026 in five zones (a 30-minute one, one at midnight, both hemispheres),
    windows on either side of and across the changed hour: from every 20 minutes in the six hours around each
    change, next_open agrees with a minute-by-minute scan."""
    changes = transitions(zone, at("2026-01-01T00:00"), 365)
    assert len(changes) == 2
    for raw in WINDOWS:
        s = schedule(windows=[{**raw, "timeZone": zone}])
        for change in changes:
            for step in range(-9, 10):
                start = change + timedelta(minutes=20 * step)
                assert s.next_open(start) == scanned(s, start), (raw, change, start)


def test_a_freeze_may_be_written_as_yaml_timestamps():
    """`from: 2026-12-07 10:00:00` is a YAML timestamp (a datetime, not a date): plan and apply crashed (exit 3)."""
    import yaml

    raw = yaml.safe_load("freezes: [{from: 2026-12-07 10:00:00, to: 2026-12-08 18:00, timeZone: Europe/London}]")
    s = schedule(**raw)
    assert s.closed(at("2026-12-07T09:59")) == ""
    assert "freeze 2026-12-07 10:00..2026-12-08 18:00 Europe/London" in s.closed(at("2026-12-07T10:00"))
    assert s.next_open(at("2026-12-08T12:00")) == at("2026-12-08T18:00")
    offset = yaml.safe_load("freezes: [{from: 2026-12-07T10:00:00+02:00, to: 2026-12-07}]")
    assert schedule(**offset).closed(at("2026-12-07T08:00")) and not schedule(**offset).closed(at("2026-12-07T07:59"))


def test_a_window_written_with_a_date_is_refused_at_its_place():
    import yaml

    raw = yaml.safe_load("windows: [{kind: deny, from: 2026-12-07 10:00:00, to: '12:00'}]")
    with pytest.raises(ConfigError) as exc:
        schedule_from([(lambda path: "s.yaml:1:" + ".".join(map(str, path)), raw)])
    assert str(exc.value).startswith("s.yaml:1:windows.0.from: windows[0]: from: 2026-12-07 10:00:00 is a date")


def test_the_next_allowed_time_is_shown_in_utc_alone_for_utc_windows_and_across_a_date():
    from datetime import datetime, timezone

    from qcdeploy.planning.windows import verdict

    utc = schedule(windows=[{"kind": "deny", "days": ["mon"], "from": "00:00", "to": "12:00", "timeZone": "UTC"}])
    at = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)  # a Monday
    assert verdict(utc, at)[1] == "2026-11-30 12:00 UTC"
    tokyo = schedule(
        windows=[{"kind": "deny", "days": ["mon"], "from": "00:00", "to": "06:00", "timeZone": "Asia/Tokyo"}]
    )
    at = datetime(2026, 11, 29, 16, 0, tzinfo=timezone.utc)  # Monday 01:00 in Tokyo
    assert verdict(tokyo, at)[1] == "2026-11-30 06:00 Asia/Tokyo (2026-11-29 21:00 UTC)"
