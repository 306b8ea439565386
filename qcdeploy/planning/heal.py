"""What `watch` may do on its own for one deployment: `spec.heal`, over the Environment's and .qcdeploy.yaml's
defaults, key by key. The default for everything is to report; a heal is only ever asked for."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qcdeploy.errors import ConfigError

REPORT, REDEPLOY = "report", "redeploy"
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_KEYS = ("crashed", "stoppedOutside", "maxRestarts", "per", "backoff", "duringClosedWindows")


@dataclass(frozen=True)
class HealPolicy:
    """One deployment's heal settings, durations in seconds."""

    crashed: str = REPORT
    stopped_outside: str = REPORT
    max_restarts: int = 3
    per: float = 86400.0
    backoff: float = 120.0
    during_closed_windows: bool = False

    @property
    def heals_anything(self) -> bool:
        return REDEPLOY in (self.crashed, self.stopped_outside)


def seconds(raw: object, where: str) -> float:
    """24h, 90m, 2d, 30s as seconds; a clear error naming where it was written otherwise."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", str(raw))
    if found is None or isinstance(raw, bool):
        raise ConfigError(f"{where}: {raw!r} is not a duration such as 2m, 24h, 2d")
    return float(found[1]) * _UNITS[found[2]]


def merged(layers: Sequence[tuple[str, object]]) -> dict[str, tuple[str, Any]]:
    """Each heal key from the nearest layer that sets it (layers from the farthest default to the deployment),
    with where it was written; a layer that is not a mapping or names an unknown key is an error."""
    found: dict[str, tuple[str, Any]] = {}
    for where, raw in layers:
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{where}: heal must be a mapping such as {{crashed: redeploy}}")
        unknown = sorted(set(map(str, raw)) - set(_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown heal setting(s) {', '.join(unknown)} (known: {', '.join(_KEYS)})")
        found.update({str(k): (where, v) for k, v in raw.items()})
    return found


def policy_from(layers: Sequence[tuple[str, object]]) -> HealPolicy:
    """The policy from its layers (see `merged`), each value checked."""
    keys = merged(layers)
    policy = HealPolicy()
    values: dict[str, Any] = {}
    for key, attr in (("crashed", "crashed"), ("stoppedOutside", "stopped_outside")):
        if key in keys:
            where, value = keys[key]
            if value not in (REPORT, REDEPLOY):
                raise ConfigError(f"{where}: heal.{key} must be report or redeploy, not {value!r}")
            values[attr] = value
    if "maxRestarts" in keys:
        where, value = keys["maxRestarts"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where}: heal.maxRestarts must be a whole number >= 0, not {value!r}")
        values["max_restarts"] = value
    for key in ("per", "backoff"):
        if key in keys:
            values[key] = seconds(keys[key][1], f"{keys[key][0]}: heal.{key}")
    if "duringClosedWindows" in keys:
        values["during_closed_windows"] = keys["duringClosedWindows"][1] is True
    return HealPolicy(**{**policy.__dict__, **values})
