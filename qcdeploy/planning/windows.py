"""Change windows: when apply may change live deployments. Argo CD's sync windows are the model.

Configured in .qcdeploy.yaml (and in an Environment document, whose entries are added to the repository's):

    market-hours: us-equities          # preset: deny 09:30-16:00 America/New_York, Monday to Friday
    windows:
      - {kind: allow, days: [mon, tue, wed, thu, fri], from: "17:00", to: "20:00", timeZone: America/New_York}
      - {kind: deny, days: [fri], from: "15:00", to: "23:59", timeZone: Europe/London}
    freezes:
      - {from: 2026-12-24, to: 2026-12-26, timeZone: America/New_York, reason: holidays}
      - {from: 2026-12-07 10:00, to: 2026-12-07 18:00, timeZone: Europe/London, reason: release}

Rules, as Argo CD's: a freeze or a deny window that holds now closes; when allow windows exist, one of them
must hold now. Times are wall-clock times in the window's IANA time zone (the standard library's zoneinfo),
so daylight saving moves them as it moves the market. A window whose `to` is not after its `from` runs past
midnight into the next day. A freeze written with dates is whole days, both ends included; one written with
a date and time (a YAML timestamp, `from: 2026-12-07 10:00:00`) starts and ends at those moments. A window's
`from`/`to` written as a date is refused at its file:line:col. The next allowed time is exact across daylight
saving: a time a change repeats is read both ways, one it skips falls at the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qcdeploy.errors import ConfigError
from qcdeploy.planning.transitions import transitions

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
        """When this window opens and closes on `day`, in UTC: both readings of a wall-clock time that a
        daylight-saving change repeats (fold 0 and 1); one that it skips falls at the change (transitions)."""
        zone = ZoneInfo(self.zone)
        return [
            datetime.combine(day, t, zone).replace(fold=fold).astimezone(timezone.utc)
            for t in (self.start, self.end)
            for fold in (0, 1)
        ]


@dataclass(frozen=True)
class Freeze:
    """From `start` to `end` in its time zone: a date means the whole day (both ends included), a date and time
    (a YAML timestamp) that moment; a timestamp with an offset is that instant wherever the zone is."""

    start: date | datetime
    end: date | datetime
    zone: str
    reason: str = ""

    def begins(self) -> datetime:
        return _instant(self.start, self.zone)

    def ends(self) -> datetime:
        """The first moment after the freeze."""
        end = self.end if isinstance(self.end, datetime) else self.end + timedelta(days=1)
        return _instant(end, self.zone)

    def holds(self, at: datetime) -> bool:
        return self.begins() <= at < self.ends()

    def describe(self) -> str:
        span = f"{_shown(self.start)}..{_shown(self.end)}"
        return f"freeze {span} {self.zone}" + (f" ({self.reason})" if self.reason else "")


def _instant(value: date | datetime, zone: str) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(timezone.utc)


def _shown(value: date | datetime) -> str:
    if not isinstance(value, datetime):
        return value.isoformat()
    return f"{value:%Y-%m-%d %H:%M%z}"  # %z: the offset of a timestamp written with one, "" for the rest


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
        """The first moment from `at` on when changes are allowed (None: not within HORIZON_DAYS). Whether
        changes are allowed can only change where a window's edge falls (either reading of a repeated time), a
        freeze ends, or a zone's offset changes: the first of those moments that is open is the answer."""
        if not self.closed(at):
            return at
        start = at.astimezone(timezone.utc)
        for span in (4, HORIZON_DAYS):  # the next few days first: nearly always enough, and cheap
            limit = start + timedelta(days=span - 2)  # every turn up to here is among those of `span` days
            for moment in sorted(self._turns(start, span)):
                if moment > limit:
                    break
                if moment > start and not self.closed(moment):
                    return moment
        return None

    def _turns(self, start: datetime, span: int) -> set[datetime]:
        found: set[datetime] = {f.ends() for f in self.freezes}
        for offset in range(-1, span + 1):
            day = start.date() + timedelta(days=offset)
            for window in self.windows:
                found.update(window.edges(day))
        for zone in {w.zone for w in self.windows} | {f.zone for f in self.freezes}:
            found.update(transitions(zone, start - timedelta(days=1), span + 2))
        return found


def verdict(schedule: Schedule, at: datetime) -> tuple[str, str]:
    """(why closed, or ""; the next allowed time in words)."""
    why = schedule.closed(at)
    if not why:
        return "", ""
    nxt = schedule.next_open(at)
    return why, (_local_and_utc(nxt, schedule) if nxt is not None else f"not within {HORIZON_DAYS} days")


def _local_and_utc(at: datetime, schedule: Schedule) -> str:
    """`2026-11-02 09:30 America/New_York (14:30 UTC)`: the time as the windows are written, and in UTC."""
    zones = [*(w.zone for w in schedule.windows), *(f.zone for f in schedule.freezes)]
    utc = at.astimezone(timezone.utc)
    if not zones or zones[0] in ("UTC", "Etc/UTC"):
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    local = at.astimezone(ZoneInfo(zones[0]))
    same_day = local.date() == utc.date()
    return (
        f"{local:%Y-%m-%d %H:%M} {zones[0]} ({utc:%H:%M} UTC)"
        if same_day
        else (f"{local:%Y-%m-%d %H:%M} {zones[0]} ({utc:%Y-%m-%d %H:%M} UTC)")
    )


Locate = Callable[[tuple[str | int, ...]], str]  # a path inside a settings source -> "file:line:col"


def schedule_from(sources: Iterable[tuple[str | Locate, Mapping[str, Any]]]) -> Schedule:
    """The schedule of every (where, settings) source, added together; bad entries are a ConfigError naming
    the place: `where` is the file's name, or a function from a path inside it to its file:line:col."""
    windows: list[Window] = []
    freezes: list[Freeze] = []
    for where, raw in sources:
        locate: Locate = where if callable(where) else (lambda _path, w=where: w)  # type: ignore[misc]
        preset = raw.get("market-hours")
        if preset is not None:
            if preset not in PRESETS:
                known = ", ".join(PRESETS)
                raise ConfigError(
                    f"{locate(('market-hours',))}: market-hours: unknown preset {preset!r} (known: {known})"
                )
            windows.append(PRESETS[preset])
        for i, entry in enumerate(_list(raw.get("windows"), locate(("windows",)), "windows")):
            windows.append(_window(entry, _At(locate, "windows", i)))
        for i, entry in enumerate(_list(raw.get("freezes"), locate(("freezes",)), "freezes")):
            freezes.append(_freeze(entry, _At(locate, "freezes", i)))
    return Schedule(tuple(windows), tuple(freezes))


# an entry known to be good, so that each field of a written entry can be tried alone
_GOOD: dict[str, dict[str, Any]] = {
    "windows": {"kind": "allow", "days": ["mon"], "from": "00:00", "to": "01:00", "timeZone": "UTC"},
    "freezes": {"from": "2000-01-01", "to": "2999-12-31", "timeZone": "UTC"},  # wide: either end fits inside
}


def problems(sources: Iterable[tuple[str | Locate, Mapping[str, Any]]]) -> list[str]:
    """Every mistake in the windows and freezes of every source, each named as schedule_from names the first:
    validate reports them all at once, where a plan stops at the first."""
    found: list[str] = []

    def attempt(source: str | Locate, raw: Mapping[str, Any]) -> bool:
        try:
            schedule_from([(source, raw)])
        except ConfigError as exc:
            if str(exc) not in found:
                found.append(str(exc))
            return False
        return True

    for where, raw in sources:
        if "market-hours" in raw:
            attempt(where, {"market-hours": raw["market-hours"]})
        for key in ("windows", "freezes"):
            entries = raw.get(key)
            if not isinstance(entries, list):
                attempt(where, {key: entries})
                continue
            for i, entry in enumerate(entries):
                # entry i alone at its own index (earlier ones made good), then each of its fields alone
                padding = [_GOOD[key]] * i
                if not isinstance(entry, dict):
                    attempt(where, {key: [*padding, entry]})
                    continue
                fields_ok = [attempt(where, {key: [*padding, {**_GOOD[key], f: v}]}) for f, v in entry.items()]
                if all(fields_ok):
                    attempt(where, {key: [*padding, entry]})  # what only the whole entry shows: to before from
    return found


@dataclass(frozen=True)
class _At:
    """Where one entry (or one of its keys) was written, as error messages name it."""

    locate: Locate
    key: str
    index: int

    def __call__(self, field: str = "") -> str:
        path: tuple[str | int, ...] = (self.key, self.index, field) if field else (self.key, self.index)
        return f"{self.locate(path)}: {self.key}[{self.index}]" + (f": {field}" if field else "")


def _list(value: Any, where: str, key: str) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key} must be a list")
    return value


def _window(raw: Any, at: _At) -> Window:
    if not isinstance(raw, dict):
        raise ConfigError(f"{at()}: must be a mapping with kind, days, from, to, timeZone")
    unknown = sorted(set(raw) - {"kind", "days", "from", "to", "timeZone"})
    if unknown:
        raise ConfigError(f"{at()}: unknown key(s) {', '.join(unknown)} (known: kind, days, from, to, timeZone)")
    kind = raw.get("kind")
    if kind not in ("allow", "deny"):
        raise ConfigError(f"{at('kind')}: kind must be allow or deny, not {kind!r}")
    days = raw.get("days", list(DAYS))
    if not isinstance(days, list) or not days or any(str(d).lower()[:3] not in DAYS for d in days):
        raise ConfigError(f"{at('days')}: days must be a list of {', '.join(DAYS)}")
    return Window(
        kind,
        frozenset(DAYS.index(str(d).lower()[:3]) for d in days),
        _time(raw.get("from"), at("from")),
        _time(raw.get("to"), at("to")),
        _zone(raw.get("timeZone", "UTC"), at("timeZone")),
    )


def _freeze(raw: Any, at: _At) -> Freeze:
    if not isinstance(raw, dict):
        raise ConfigError(f"{at()}: must be a mapping with from, to (dates), timeZone, reason")
    unknown = sorted(set(raw) - {"from", "to", "timeZone", "reason"})
    if unknown:
        raise ConfigError(f"{at()}: unknown key(s) {', '.join(unknown)} (known: from, to, timeZone, reason)")
    zone = _zone(raw.get("timeZone", "UTC"), at("timeZone"))
    freeze = Freeze(_moment(raw.get("from"), at("from")), _moment(raw.get("to"), at("to")), zone)
    try:
        backwards = freeze.ends() <= freeze.begins()
    except (OverflowError, ValueError):  # 9999-12-31: the day after it cannot be written
        raise ConfigError(f"{at()}: from or to is out of the range of dates a freeze can use") from None
    if backwards:
        raise ConfigError(f"{at('to')}: to ({_shown(freeze.end)}) is not after from ({_shown(freeze.start)})")
    return Freeze(freeze.start, freeze.end, zone, str(raw.get("reason") or ""))


def _time(value: Any, where: str) -> time:
    if isinstance(value, date):  # a YAML timestamp or date: a window repeats, a dated period is a freeze
        raise ConfigError(f'{where}: {value} is a date; a window takes a time of day such as "09:30" (use a freeze)')
    # YAML 1.1 reads an unquoted 09:30 as 570 minutes (and an unquoted on/yes as True, an int that is no time)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", str(value).strip())
    try:
        if found is None:
            raise ValueError
        return time(int(found[1]), int(found[2]), int(found[3] or 0))
    except ValueError:
        raise ConfigError(f'{where}: {value!r} is not a time of day such as "09:30"') from None


def _moment(value: Any, where: str) -> date | datetime:
    """A date (a whole day), or a date and time: a YAML timestamp, or a string in ISO 8601."""
    if isinstance(value, date):  # datetime included
        return value
    text = str(value).strip()
    if text.endswith(("Z", "z")):  # UTC as RFC 3339 writes it, in either case (fromisoformat takes neither on 3.10)
        text = text[:-1] + "+00:00"
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{where}: {value!r} is not a date such as 2026-12-24 or a date and time such as 2026-12-24 10:00"
        ) from None


def _zone(value: Any, where: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: {value!r} is not an IANA time zone such as America/New_York") from None
    return str(value)
