"""When a time zone's UTC offset changes (daylight saving, a zone's rule change), to the second."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def transitions(zone: str, start: datetime, days: int) -> list[datetime]:
    """The moments in `days` days from `start` when the zone's UTC offset changes, to the second: a wall-clock
    time skipped or repeated there can open or close a window at that moment only."""
    tz, found = ZoneInfo(zone), []
    lo = int(start.timestamp())
    for _ in range(days):
        hi = lo + 86_400
        if _offset(tz, lo) != _offset(tz, hi):
            found.append(datetime.fromtimestamp(_first_change(tz, lo, hi), timezone.utc))
        lo = hi
    return found


def _offset(tz: ZoneInfo, second: int) -> timedelta | None:
    return datetime.fromtimestamp(second, timezone.utc).astimezone(tz).utcoffset()


def _first_change(tz: ZoneInfo, lo: int, hi: int) -> int:
    """The first second in (lo, hi] with hi's offset (one change within the day)."""
    want = _offset(tz, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _offset(tz, mid) == want else (mid, hi)
    return hi
