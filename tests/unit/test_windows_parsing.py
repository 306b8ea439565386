"""Reading windows and freezes: each mistake named at its own file:line:col (the field's path inside the
source), `validate` listing every mistake at once, and the values a written entry stands for."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from qcdeploy.errors import ConfigError
from qcdeploy.planning.windows import problems, schedule_from

UTC = timezone.utc


def where(path: tuple[str | int, ...]) -> str:
    """A locator that says which path inside the source it was asked for."""
    return "s.yaml@" + ".".join(map(str, path))


def refusal(**raw: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        schedule_from([(where, raw)])
    return str(caught.value)


GOOD_WINDOW = {"kind": "deny", "from": "01:00", "to": "02:00"}
GOOD_FREEZE = {"from": "2026-12-24", "to": "2026-12-26"}


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ({"market-hours": "lse"}, "s.yaml@market-hours: market-hours: unknown preset 'lse' (known: us-equities)"),
        ({"windows": {"kind": "deny"}}, "s.yaml@windows: windows must be a list"),
        ({"freezes": "2026-12-24"}, "s.yaml@freezes: freezes must be a list"),
        ({"windows": [GOOD_WINDOW, "deny"]}, "s.yaml@windows.1: windows[1]: must be a mapping with kind"),
        ({"windows": [{**GOOD_WINDOW, "a": 1, "b": 2}]}, "s.yaml@windows.0: windows[0]: unknown key(s) a, b (known"),
        ({"windows": [{**GOOD_WINDOW, "kind": "open"}]}, "s.yaml@windows.0.kind: windows[0]: kind: kind must be"),
        (
            {"windows": [{**GOOD_WINDOW, "days": "mon"}]},
            "s.yaml@windows.0.days: windows[0]: days: days must be a list of mon, tue,",
        ),
        ({"windows": [{**GOOD_WINDOW, "from": "x"}]}, "s.yaml@windows.0.from: windows[0]: from: 'x' is not a time"),
        ({"windows": [{**GOOD_WINDOW, "to": "x"}]}, "s.yaml@windows.0.to: windows[0]: to: 'x' is not a time"),
        ({"windows": [{**GOOD_WINDOW, "timeZone": "Mars"}]}, "s.yaml@windows.0.timeZone: windows[0]: timeZone: 'Mars'"),
        ({"freezes": [GOOD_FREEZE, 7]}, "s.yaml@freezes.1: freezes[1]: must be a mapping with from, to"),
        ({"freezes": [{**GOOD_FREEZE, "a": 1, "b": 2}]}, "s.yaml@freezes.0: freezes[0]: unknown key(s) a, b (known"),
        ({"freezes": [{**GOOD_FREEZE, "timeZone": "Mars"}]}, "s.yaml@freezes.0.timeZone: freezes[0]: timeZone: 'Mars'"),
        (
            {"freezes": [{**GOOD_FREEZE, "from": "soon"}]},
            "s.yaml@freezes.0.from: freezes[0]: from: 'soon' is not a date",
        ),
        ({"freezes": [{**GOOD_FREEZE, "to": "later"}]}, "s.yaml@freezes.0.to: freezes[0]: to: 'later' is not a date"),
        (
            {"freezes": [{**GOOD_FREEZE, "to": "2026-12-23"}]},
            "s.yaml@freezes.0.to: freezes[0]: to: to (2026-12-23) is not after from (2026-12-24)",
        ),
    ],
)
def test_each_mistake_is_named_at_the_place_it_was_written(raw, said):
    assert refusal(**raw).startswith(said)


def test_a_freeze_that_ends_where_it_begins_is_refused():
    said = refusal(freezes=[{"from": "2026-12-07 10:00", "to": "2026-12-07 10:00"}])
    assert "to (2026-12-07 10:00) is not after from (2026-12-07 10:00)" in said


def test_a_source_named_by_its_file_is_named_so_in_every_message():
    with pytest.raises(ConfigError, match=r"^\.qcdeploy\.yaml: freezes\[0\]: to: "):
        schedule_from([(".qcdeploy.yaml", {"freezes": [{**GOOD_FREEZE, "to": "2026-12-23"}]})])


def test_a_freeze_without_a_reason_says_none():
    s = schedule_from([("f", {"freezes": [{"from": "2026-12-25", "to": "2026-12-25"}]})])
    assert s.closed(datetime(2026, 12, 25, 12, tzinfo=UTC)).endswith("freeze 2026-12-25..2026-12-25 UTC")


@pytest.mark.parametrize("z", ["Z", "z"])
def test_a_freeze_in_utc_may_be_written_with_a_z_in_either_case(z):
    zone = {"timeZone": "Asia/Tokyo"}  # the Z says UTC whatever zone the freeze names for its dates
    s = schedule_from([("f", {"freezes": [{"from": f"2026-12-07T10:00{z}", "to": f"2026-12-07T12:00{z}", **zone}]})])
    assert s.closed(datetime(2026, 12, 7, 10, tzinfo=UTC)) and not s.closed(datetime(2026, 12, 7, 9, 59, tzinfo=UTC))
    assert not s.closed(datetime(2026, 12, 7, 12, 1, tzinfo=UTC))


def test_dates_and_times_are_read_with_surrounding_spaces():
    s = schedule_from(
        [
            ("f", {"freezes": [{"from": " 2026-12-25 ", "to": "2026-12-25"}]}),
            ("w", {"windows": [{"kind": "deny", "from": " 09:00 ", "to": "10:00"}]}),
        ]
    )
    assert s.closed(datetime(2026, 12, 25, 23, 59, tzinfo=UTC))  # a whole day: read as a date
    assert s.closed(datetime(2026, 12, 1, 9, tzinfo=UTC)) and not s.closed(datetime(2026, 12, 1, 10, tzinfo=UTC))


def test_validate_names_every_mistake_of_every_entry_at_its_own_index():
    found = problems(
        [
            (
                where,
                {
                    "market-hours": "lse",
                    "windows": [
                        GOOD_WINDOW,
                        {"kind": "open", "from": "25:00", "to": "02:00"},
                        "deny",
                        {**GOOD_WINDOW, "to": "x"},
                    ],
                    "freezes": [{"from": "2026-12-26", "to": "2026-12-24"}],
                },
            ),
            ("env.yaml", {"windows": "always", "freezes": [GOOD_FREEZE, {**GOOD_FREEZE, "zone": "UTC"}]}),
        ]
    )
    assert [f.split(": ")[0:2] for f in found] == [
        ["s.yaml@market-hours", "market-hours"],
        ["s.yaml@windows.1.kind", "windows[1]"],
        ["s.yaml@windows.1.from", "windows[1]"],
        ["s.yaml@windows.2", "windows[2]"],
        ["s.yaml@windows.3.to", "windows[3]"],
        ["s.yaml@freezes.0.to", "freezes[0]"],
        ["env.yaml", "windows must be a list"],
        ["env.yaml", "freezes[1]"],
    ]
    assert "25:00" in found[2] and "is not after from" in found[5] and "unknown key(s) zone" in found[7]


def test_validate_says_each_mistake_once_and_nothing_for_good_entries():
    twice = ("s.yaml", {"market-hours": "lse"})
    assert problems([twice, twice]) == ["s.yaml: market-hours: unknown preset 'lse' (known: us-equities)"]
    good = {"market-hours": "us-equities", "windows": [GOOD_WINDOW], "freezes": [GOOD_FREEZE]}
    assert problems([("s.yaml", good), ("e.yaml", {})]) == []


def test_a_window_without_days_holds_every_day_and_one_without_a_zone_is_in_utc():
    s = schedule_from([("w", {"windows": [{"kind": "deny", "from": "09:00", "to": "10:00"}]})])
    for day in range(23, 30):  # 2026-11-23 is a Monday
        assert s.closed(datetime(2026, 11, day, 9, 0, tzinfo=UTC)), day
        assert not s.closed(datetime(2026, 11, day, 8, 59, tzinfo=UTC)), day


def test_a_window_written_to_the_minute_ends_on_the_minute():
    s = schedule_from([("w", {"windows": [{"kind": "deny", "from": "09:00", "to": "10:00"}]})])
    assert not s.closed(datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC))
    assert s.closed(datetime(2026, 12, 1, 9, 59, 59, tzinfo=UTC))


def test_a_freeze_written_with_an_offset_shows_it():
    s = schedule_from(
        [
            (
                "f",
                {
                    "freezes": [
                        {"from": datetime(2026, 12, 7, 10, tzinfo=timezone(timedelta(hours=2))), "to": "2026-12-07"}
                    ]
                },
            )
        ]
    )
    assert "freeze 2026-12-07 10:00+0200..2026-12-07 UTC" in s.closed(datetime(2026, 12, 7, 8, tzinfo=UTC))


def test_outside_the_allow_windows_names_each_of_them():
    allow = {"kind": "allow", "days": ["mon"], "timeZone": "UTC"}
    s = schedule_from(
        [("w", {"windows": [{**allow, "from": "01:00", "to": "02:00"}, {**allow, "from": "03:00", "to": "04:00"}]})]
    )
    assert s.closed(datetime(2026, 11, 30, 5, tzinfo=UTC)) == (
        "outside every allow window (allow window mon 01:00-02:00 UTC; allow window mon 03:00-04:00 UTC)"
    )


def test_validate_names_each_unknown_key_once():
    found = problems([("s.yaml", {"windows": [{**GOOD_WINDOW, "a": 1, "b": 2}]})])
    assert [f.split("unknown key(s) ")[1].split(" (")[0] for f in found] == ["a", "b"]


def test_a_yaml_boolean_is_not_a_time_of_day():
    """YAML 1.1 reads an unquoted `on` or `yes` as true, and True is an int: it was read as 00:01."""
    assert "True is not a time of day" in refusal(windows=[{**GOOD_WINDOW, "from": True}])
