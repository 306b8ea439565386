"""`beforeStop` as a manifest writes it: which change has one, its wait in seconds, and how plans show it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from qcdeploy.model import Change


def before_stop(change: Change) -> Mapping[str, Any] | None:
    """The manifest's beforeStop for the deployment this change stops (none for a prune without a manifest)."""
    spec = change.desired.manifest.spec if change.desired is not None else {}
    found = spec.get("beforeStop")
    return found if isinstance(found, Mapping) else None


def seconds(value: Any) -> float:
    """`60s`, `2m`, or a number of seconds (the schema allows only these)."""
    text = str(value).strip()
    if text.endswith("m"):
        return float(text[:-1]) * 60
    return float(text.rstrip("s"))


def describe(spec: Mapping[str, Any]) -> str:
    required = "required" if spec.get("required", True) else "not required"
    command = json.dumps(spec["command"], sort_keys=True, separators=(",", ":"))
    return f"command {command}, then wait {seconds(spec.get('wait', 0)):g}s ({required})"
