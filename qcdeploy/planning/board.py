"""The fleet as `watch --listen` shows it: one row per manifest (status's row, plus node, heals and the last
change the ledger's history records). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from qcdeploy.model import Desired, LedgerEntry, LiveState
from qcdeploy.planning.heal import HealPolicy
from qcdeploy.planning.status import deployment_rows
from qcdeploy.planning.watch import restarts


def rows(
    desired: Sequence[Desired],
    state: LiveState,
    entries: Mapping[str, LedgerEntry],
    history: Sequence[Mapping[str, Any]],
    policies: Mapping[str, HealPolicy],
    environment: str,
    now: datetime,
) -> list[dict[str, Any]]:
    nodes = {d.name: d.node.name for d in desired}
    out = []
    for row in deployment_rows(desired, state, entries, now):
        name = row["name"]
        entry = entries.get(name)
        dep = state.deployments.get(row["project_id"])
        per = policies.get(name, HealPolicy()).per
        heals = restarts(history, name, entry, now - timedelta(seconds=per)) if entry is not None else []
        out.append(
            {
                **row,
                "environment": environment,
                "node": nodes[name],
                "restarts": len(heals),
                "last_change": _last_change(name, entry, history),
                "launched_epoch": dep.launched.timestamp() if dep and dep.active and dep.launched else None,
            }
        )
    return out


def _last_change(name: str, entry: LedgerEntry | None, history: Sequence[Mapping[str, Any]]) -> str:
    for event in reversed(history):
        if event.get("name") == name and event.get("event") != "notified":
            return f"{event.get('event')} {event.get('at', '')}".strip()
    return f"applied {entry.applied_at}" if entry is not None and entry.applied_at else ""
