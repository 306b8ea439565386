"""Change windows: when apply may change live deployments. Argo CD's sync windows are the model.

Configured in .qcdeploy.yaml (and in an Environment document, whose entries are added to the repository's):

    market-hours: us-equities          # preset: deny 09:30-16:00 America/New_York, Monday to Friday
    windows:
      - {kind: allow, days: [mon, tue, wed, thu, fri], from: "17:00", to: "20:00", timeZone: America/New_York}
      - {kind: deny, days: [fri], from: "15:00", to: "23:59", timeZone: Europe/London}
    freezes:
      - {from: 2026-12-24, to: 2026-12-26, timeZone: America/New_York, reason: holidays}

Rules, as Argo CD's: a freeze or a deny window that holds now closes; when allow windows exist, one of them
must hold now. Times are wall-clock times in the window's IANA time zone (the standard library's zoneinfo),
so daylight saving moves them as it moves the market. A window whose `to` is not after its `from` runs past
midnight into the next day. Freezes are whole days, both ends included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qcdeploy.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = frozenset(range(5))
HORIZON_DAYS = 400  # how far ahead the next open time is looked for
KEYS = ("windows", "freezes", "market-hours")


@dataclass(frozen=True)
class Window:
    kind: str  # allow | deny
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: str

    def holds(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.zone))
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= t < self.end
        # past midnight: from `start` on a listed day until `end` the next day
        yesterday = (local.weekday() - 1) % 7
        return (local.weekday() in self.days and t >= self.start) or (yesterday in self.days and t < self.end)

    def describe(self) -> str:
        days = ",".join(DAYS[d] for d in sorted(self.days))
        return f"{self.kind} window {days} {self.start:%H:%M}-{self.end:%H:%M} {self.zone}"

    def edges(self, day: date) -> list[datetime]:
        """When this window opens and closes on `day`, in UTC."""
        zone = ZoneInfo(self.zone)
        return [datetime.combine(day, t, zone).astimezone(timezone.utc) for t in (self.start, self.end)]


@dataclass(frozen=True)
class Freeze:
    start: date
    end: date
    zone: str
    reason: str = ""

    def holds(self, at: datetime) -> bool:
        return self.start <= at.astimezone(ZoneInfo(self.zone)).date() <= self.end

    def describe(self) -> str:
        return f"freeze {self.start}..{self.end} {self.zone}" + (f" ({self.reason})" if self.reason else "")


PRESETS = {"us-equities": Window("deny", WEEKDAYS, time(9, 30), time(16, 0), "America/New_York")}


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...] = ()
    freezes: tuple[Freeze, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.windows and not self.freezes

    def closed(self, at: datetime) -> str:
        """Why changes are not allowed at `at` ("": they are)."""
        for freeze in self.freezes:
            if freeze.holds(at):
                return f"inside {freeze.describe()}"
        for window in self.windows:
            if window.kind == "deny" and window.holds(at):
                return f"inside {window.describe()}"
        allows = [w for w in self.windows if w.kind == "allow"]
        if allows and not any(w.holds(at) for w in allows):
            return "outside every allow window (" + "; ".join(w.describe() for w in allows) + ")"
        return ""

    def next_open(self, at: datetime) -> datetime | None:
        """The first moment from `at` on when changes are allowed (None: not within HORIZON_DAYS)."""
        if not self.closed(at):
            return at
        start = at.astimezone(timezone.utc)
        candidates: set[datetime] = set()
        for offset in range(-1, HORIZON_DAYS + 1):
            day = start.date() + timedelta(days=offset)
            for window in self.windows:
                candidates.update(window.edges(day))
            for freeze in self.freezes:
                candidates.add(datetime.combine(freeze.end + timedelta(days=1), time(0), ZoneInfo(freeze.zone)))
        for moment in sorted(c.astimezone(timezone.utc) for c in candidates):
            if moment > start and not self.closed(moment):
                return moment
        return None


def verdict(schedule: Schedule, at: datetime) -> tuple[str, str]:
    """(why closed, or ""; the next allowed time in words)."""
    why = schedule.closed(at)
    if not why:
        return "", ""
    nxt = schedule.next_open(at)
    return why, (f"{nxt:%Y-%m-%d %H:%M} UTC" if nxt is not None else f"not within {HORIZON_DAYS} days")


def schedule_from(sources: Iterable[tuple[str, Mapping[str, Any]]]) -> Schedule:
    """The schedule of every (where, settings) source, added together; bad entries are a ConfigError."""
    windows: list[Window] = []
    freezes: list[Freeze] = []
    for where, raw in sources:
        preset = raw.get("market-hours")
        if preset is not None:
            if preset not in PRESETS:
                raise ConfigError(f"{where}: market-hours: unknown preset {preset!r} (known: {', '.join(PRESETS)})")
            windows.append(PRESETS[preset])
        for i, entry in enumerate(_list(raw.get("windows"), where, "windows")):
            windows.append(_window(entry, f"{where}: windows[{i}]"))
        for i, entry in enumerate(_list(raw.get("freezes"), where, "freezes")):
            freezes.append(_freeze(entry, f"{where}: freezes[{i}]"))
    return Schedule(tuple(windows), tuple(freezes))


def _list(value: Any, where: str, key: str) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key} must be a list")
    return value


def _window(raw: Any, where: str) -> Window:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping with kind, days, from, to, timeZone")
    unknown = sorted(set(raw) - {"kind", "days", "from", "to", "timeZone"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: kind, days, from, to, timeZone)")
    kind = raw.get("kind")
    if kind not in ("allow", "deny"):
        raise ConfigError(f"{where}: kind must be allow or deny, not {kind!r}")
    days = raw.get("days", list(DAYS))
    if not isinstance(days, list) or not days or any(str(d).lower()[:3] not in DAYS for d in days):
        raise ConfigError(f"{where}: days must be a list of {', '.join(DAYS)}")
    return Window(
        kind,
        frozenset(DAYS.index(str(d).lower()[:3]) for d in days),
        _time(raw.get("from"), f"{where}: from"),
        _time(raw.get("to"), f"{where}: to"),
        _zone(raw.get("timeZone", "UTC"), where),
    )


def _freeze(raw: Any, where: str) -> Freeze:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping with from, to (dates), timeZone, reason")
    unknown = sorted(set(raw) - {"from", "to", "timeZone", "reason"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: from, to, timeZone, reason)")
    start, end = _date(raw.get("from"), f"{where}: from"), _date(raw.get("to"), f"{where}: to")
    if end < start:
        raise ConfigError(f"{where}: to ({end}) is before from ({start})")
    return Freeze(start, end, _zone(raw.get("timeZone", "UTC"), where), str(raw.get("reason") or ""))


def _time(value: Any, where: str) -> time:
    if isinstance(value, int) and 0 <= value < 24 * 60:  # YAML 1.1 reads an unquoted 09:30 as 570 minutes
        return time(value // 60, value % 60)
    found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", str(value).strip())
    try:
        if found is None:
            raise ValueError
        return time(int(found[1]), int(found[2]), int(found[3] or 0))
    except ValueError:
        raise ConfigError(f'{where}: {value!r} is not a time of day such as "09:30"') from None


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a date such as 2026-12-24") from None


def _zone(value: Any, where: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: timeZone {value!r} is not an IANA time zone such as America/New_York") from None
    return str(value)
