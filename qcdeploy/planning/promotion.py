"""The paper-first gate: a spec reaches one environment only after it has run healthy in another.

An Environment may declare `promotion: {from: paper, healthyFor: 24h}`. Then every create or replace that
apply would carry out there must match a deployment of the same name that the `from` environment's ledger
records and that `live/list` shows Running, launched at least `healthyFor` ago (a deployment that crashed
is no longer Running: its RuntimeError ends its healthy time), with:
- the same parameters (compared as the ledger records them, secrets as its salted hashes), except those this
  environment's document sets itself (a live position size is meant to differ from paper's);
- the same code: when both environments deploy the same project, the paper deployment ran the project's
  current code (its recorded `modified` is the project's now) or the very compile the manifest pins. Across
  two projects the API offers no way to tell whether the code is the same, so only parameters and health
  are checked, and the gate says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from qcdeploy.errors import ConfigError
from qcdeploy.model import Change, LedgerEntry, LiveState
from qcdeploy.planning.fingerprint import entry_salt, recorded_fields

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Gate:
    source: str  # the environment a spec must have run in first
    healthy_for: float  # seconds
    backtest: bool = False  # every create or replace here must also carry a backtest gate (spec.gates.backtest)

    def describe(self) -> str:
        return f"{self.source} for {_duration(self.healthy_for)}"


def gate_from(raw: object, where: str) -> Gate | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("from"), str) or "healthyFor" not in raw:
        raise ConfigError(f"{where}: promotion must be {{from: ENVIRONMENT, healthyFor: DURATION such as 24h}}")
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", str(raw["healthyFor"]))
    if found is None:
        raise ConfigError(f"{where}: promotion.healthyFor {raw['healthyFor']!r} is not a duration such as 24h, 90m, 2d")
    return Gate(raw["from"], float(found[1]) * _UNITS[found[2]], raw.get("backtest") is True)


def problems(
    gate: Gate,
    changes: Sequence[Change],
    source: Mapping[str, LedgerEntry],
    salt: str,
    state: LiveState,
    now: datetime,
    own: Mapping[str, set[str]] | None = None,
) -> list[str]:
    """What keeps each create or replace from being promoted ([] when every one may go). `own`: by deployment,
    the parameters this environment sets itself (a live position size): those are not compared."""
    found = []
    for c in changes:
        if not c.creates or c.desired is None:
            continue
        why = _missing(gate, c, source.get(c.name), salt, state, now, (own or {}).get(c.name, set()))
        if not why and gate.backtest and (c.desired.manifest.spec.get("gates") or {}).get("backtest") is None:
            why = "the promotion gate requires a backtest gate (spec.gates.backtest), and it has none"
        if why:
            found.append(f"{c.name}: {why}")
    return found


def _missing(
    gate: Gate, c: Change, entry: LedgerEntry | None, salt: str, state: LiveState, now: datetime, own: set[str]
) -> str:
    d = c.desired
    assert d is not None
    if entry is None:
        return (
            f"no deployment named {c.name} in the {gate.source} environment's ledger "
            f"(apply it there first: qcdeploy apply --env {gate.source} {c.name})"
        )
    running = state.deployments.get(entry.project_id)
    if running is None or running.deploy_id != entry.deploy_id or running.status != "Running":
        status = running.status if running is not None and running.deploy_id == entry.deploy_id else "not running"
        return f"its {gate.source} deployment {entry.deploy_id} is {status}, not Running"
    if running.launched is None:
        return f"its {gate.source} deployment {entry.deploy_id} has no launch time, so its healthy time is unknown"
    ran = (now - running.launched).total_seconds()
    if ran < gate.healthy_for:
        return (
            f"its {gate.source} deployment has run {_duration(max(ran, 0))} of the {_duration(gate.healthy_for)} "
            f"needed (from {running.launched:%Y-%m-%d %H:%M} UTC; promoted from "
            f"{running.launched + timedelta(seconds=gate.healthy_for):%Y-%m-%d %H:%M} UTC if it keeps running)"
        )
    ours = _shared(recorded_fields(d, entry_salt(entry, salt), like=entry.spec).get("parameters"), own)
    theirs = _shared(entry.spec.get("parameters"), own)
    if ours != theirs:
        differ = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
        return f"parameter(s) {', '.join(differ)} differ from those its {gate.source} deployment runs with"
    pinned = d.manifest.spec["compile"]
    if entry.project_id == d.project.project_id:
        if pinned != "latest" and pinned != entry.compile_id:
            return f"compile {pinned} is not the one its {gate.source} deployment runs ({entry.compile_id})"
        if pinned == "latest" and entry.project_modified != d.project.modified:
            return f"the project's code changed since its {gate.source} deployment was made"
    return ""


def _shared(parameters: object, own: set[str]) -> dict[str, object]:
    return {k: v for k, v in parameters.items() if k not in own} if isinstance(parameters, dict) else {}


def own_parameters(spec: Mapping[str, object], name: str) -> set[str]:
    """The parameters an Environment document sets for deployment `name` (its defaults and its own patch)."""
    keys: set[str] = set()
    deployments = spec.get("deployments")
    for patch in (spec.get("defaults"), deployments.get(name) if isinstance(deployments, dict) else None):
        parameters = patch.get("parameters") if isinstance(patch, dict) else None
        if isinstance(parameters, dict):
            keys.update(str(k) for k in parameters)
    return keys


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}".replace(".0" + unit, unit)
    return f"{seconds:.0f}s"


def unchecked_code(changes: Sequence[Change], source: Mapping[str, LedgerEntry]) -> list[str]:
    """Promoted deployments whose code cannot be compared: the two environments deploy different projects."""
    return [
        c.name
        for c in changes
        if c.creates
        and c.desired is not None
        and c.name in source
        and source[c.name].project_id != c.desired.project.project_id
    ]
