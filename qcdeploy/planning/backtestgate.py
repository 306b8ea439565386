"""The backtest gate's rules: statistics read as the API formats them, thresholds checked, passes recognised.

`spec.gates.backtest` (per deployment, or from an Environment's `defaults`) holds any of `minSharpe`,
`maxDrawdown`, `minTrades`, `minNetProfit` (fractions for the percentages: 0.25 is 25%) and `start`/`end`, the
period the backtest must cover. backtests/create takes no period (the algorithm sets its own dates), so the
period is checked against the backtest's `backtestStart`/`backtestEnd`, never sent. Statistics come as LEAN
formats them: strings such as "1.234", "12.3%", "1,234", "$1,234.56"; an unreadable or missing one fails
its threshold (unknown is never a pass).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from qcdeploy.model import Desired, LedgerEntry

# threshold -> (statistic names as LEAN writes them, newest first, label, is a percentage, >= (True) or <=)
RULES: dict[str, tuple[tuple[str, ...], str, bool, bool]] = {
    "minSharpe": (("Sharpe Ratio",), "Sharpe", False, True),
    "maxDrawdown": (("Drawdown",), "drawdown", True, False),
    "minTrades": (("Total Orders", "Total Trades"), "orders", False, True),
    "minNetProfit": (("Net Profit",), "net profit", True, True),
}


@dataclass(frozen=True)
class Check:
    label: str
    value: str  # as shown: "1.41", "12.3%", "unknown"
    op: str  # "≥" / "≤"
    threshold: str
    ok: bool

    def __str__(self) -> str:
        op = self.op if self.ok else {"≥": "<", "≤": ">"}[self.op]
        return f"{self.label} {self.value} {op} {self.threshold}" + ("" if self.ok else " (fails)")


def number(text: Any) -> float | None:
    """A statistic as the API writes it ("1.234", "12.3%" -> 0.123, "1,234", "$1,234.56"); None if unreadable."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("$", "")
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def checks(gate: Mapping[str, Any], statistics: Mapping[str, Any], start: str, end: str) -> list[Check]:
    """Each threshold of the gate against the backtest's statistics and period."""
    found: list[Check] = []
    for key, (names, label, percent, at_least) in RULES.items():
        if key not in gate:
            continue
        raw = next((statistics[n] for n in names if n in statistics), None)
        value, limit = number(raw), float(gate[key])
        ok = value is not None and (value >= limit if at_least else value <= limit)
        shown = "unknown" if value is None else (f"{value * 100:.1f}%" if percent else f"{value:g}")
        found.append(
            Check(label, shown, "≥" if at_least else "≤", f"{limit * 100:g}%" if percent else f"{limit:g}", ok)
        )
    found += _period(gate, start, end)
    return found


def _period(gate: Mapping[str, Any], start: str, end: str) -> list[Check]:
    found = []
    if "start" in gate:
        began = _day(start)
        ok = began is not None and began <= _day(str(gate["start"]))  # type: ignore[operator]
        found.append(Check("backtest start", str(began or "unknown"), "≤", str(gate["start"]), ok))
    if "end" in gate:
        ended = _day(end)
        ok = ended is not None and ended >= _day(str(gate["end"]))  # type: ignore[operator]
        found.append(Check("backtest end", str(ended or "unknown"), "≥", str(gate["end"]), ok))
    return found


def _day(text: str) -> date | None:
    try:
        return datetime.fromisoformat(str(text).strip().replace("Z", "+00:00")[:19]).date()
    except ValueError:
        return None


def parameters_hash(parameters: Mapping[str, str]) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(dict(parameters), sort_keys=True).encode()).hexdigest()


def passed_before(
    records: Mapping[str, Mapping[str, Any]], project_id: int, compile_id: str, code_hash: str, parameters: str
) -> Mapping[str, Any] | None:
    """A recorded backtest of this compile (or of the same code, when its files' hash is known) with these
    parameters: its statistics stand, whatever thresholds they are checked against now."""
    for record in records.values():
        if record.get("projectId") != project_id or record.get("parameters") != parameters:
            continue
        if record.get("compileId") == compile_id or (code_hash and record.get("codeHash") == code_hash):
            return record
    return None


def plan_note(desired: Desired, entry: LedgerEntry | None, records: Mapping[str, Mapping[str, Any]]) -> str:
    """What the plan says of a gated deployment: the recorded pass it will reuse, or that a backtest will run.
    The code is the pinned compile, or (compile: latest) the files' hash as planned: apply checks again."""
    gate = (desired.manifest.spec.get("gates") or {}).get("backtest")
    if gate is None:
        return ""
    pinned = desired.manifest.spec["compile"]
    code = desired.project.code_hash or (entry.code_hash if entry is not None else "")
    params = parameters_hash(desired.manifest.spec["parameters"])
    record = passed_before(records, desired.project.project_id, pinned, "" if pinned != "latest" else code, params)
    if record is None:
        return "will run"
    found = checks(gate, record.get("statistics") or {}, record.get("start", ""), record.get("end", ""))
    verdict = "passed" if all(c.ok for c in found) else "FAILS"
    shown = f"{verdict} for compile {record.get('compileId')} ({', '.join(map(str, found))})"
    return f"{shown}; {url(desired.project.project_id, str(record.get('backtestId')))}"


def url(project_id: int, backtest_id: str) -> str:
    """The backtest's page, as the lean CLI links it (`QCBacktest.get_url`)."""
    return f"https://www.quantconnect.com/project/{project_id}/{backtest_id}"
