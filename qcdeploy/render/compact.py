"""A new deployment in the few lines a reviewer reads: compile and LEAN version, brokerage with its settings,
data providers, parameters on one line each. Every value is masked as `show` masks it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcdeploy.render.values import leaves, show


def create(fields: Mapping[str, Any]) -> list[str]:
    """The compact lines of a create, from its display fields (secrets already masked)."""
    lines = [f"compile: {fields['compile']}, LEAN version: {fields['versionId']}"]
    lines.append(f"brokerage: {_module(fields['brokerage'])}")
    providers = fields.get("dataProviders") or {}
    lines.append("data providers: " + ("; ".join(_module(v) for v in providers.values()) or "(none)"))
    parameters = fields.get("parameters") or {}
    lines.append("parameters: " + (", ".join(f"{k} {show(v)}" for k, v in parameters.items()) or "(none)"))
    if fields.get("automaticRedeploy"):
        lines.append("automatic redeploy: on")
    if "notification" in fields:
        lines.append(f"notification: {_notification(fields['notification'])}")
    return lines


def _module(settings: Any) -> str:
    """`InteractiveBrokersBrokerage (ib-account "DU1", ib-password (sensitive))`, cash as money."""
    if not isinstance(settings, Mapping):
        return show(settings)
    rest = []
    for key, value in settings.items():
        if key == "id":
            continue
        if key == "cash" and isinstance(value, list):
            rest.append("cash " + (", ".join(_money(c) for c in value) or "none"))
        elif key == "holdings" and isinstance(value, list):
            rest.append(f"{len(value)} holding(s)")
        else:
            rest += [f"{path} {show(v)}" for path, v in leaves(value, (key,))]
    name = str(settings.get("id", "?"))
    return f"{name} ({', '.join(rest)})" if rest else name


def _money(cash: Any) -> str:
    if isinstance(cash, Mapping) and isinstance(cash.get("amount"), (int, float)):
        return f"{cash.get('currency', '?')} {cash['amount']:,.2f}"
    return show(cash)


def _notification(notification: Any) -> str:
    if not isinstance(notification, Mapping):
        return show(notification)
    events = ", ".join(map(str, notification.get("events") or [])) or "(no events)"
    targets = []
    for t in notification.get("targets") or []:
        if isinstance(t, Mapping):
            targets.append(show(t.get("address") or t.get("phoneNumber") or t.get("id")))
    return f"{events} -> {', '.join(targets) or '(no targets)'}"
