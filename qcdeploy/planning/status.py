"""Each deployment's desired state, observed status and health, in Argo CD's words: the rules behind `status`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from qcdeploy.ledger.journal import JournalEntry
from qcdeploy.model import ACTIVE_STATUSES, FAILED_STATUSES, Desired, LedgerEntry, LiveDeployment, LiveState, ours


def health(desired_running: bool, dep: LiveDeployment | None) -> str:
    """Healthy (Running), Progressing (starting), Degraded (failed), Missing (none active), Suspended (stopped)."""
    if not desired_running:
        return "Suspended" if dep is None or not dep.active else "Degraded"
    if dep is None or dep.status not in ACTIVE_STATUSES:
        return "Degraded" if dep is not None and dep.status in FAILED_STATUSES else "Missing"
    return "Healthy" if dep.status == "Running" else "Progressing"


def uptime(dep: LiveDeployment | None, now: datetime) -> str:
    if dep is None or not dep.active or dep.launched is None:
        return "-"
    seconds = int((now - dep.launched).total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    return f"{days}d{rest // 3600:02d}h{rest % 3600 // 60:02d}m"


def deployment_rows(
    desired: Sequence[Desired],
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
    journal: Mapping[str, JournalEntry] | None = None,
) -> list[dict[str, Any]]:
    """One row per manifest, by name: what `status` prints and its JSON (format 1.0; 1.1 adds `interrupted`)
    holds. A change an apply that died left in the journal shows as health FLAT while nothing runs."""
    rows: list[dict[str, Any]] = []
    for d in sorted(desired, key=lambda d: d.name):
        dep = state.deployments.get(d.project.project_id)
        rows.append(
            {
                "name": d.name,
                "project_id": d.project.project_id,
                "desired": d.manifest.spec["state"],
                "observed": dep.status if dep else None,
                "health": _flat_or(health(d.manifest.running, dep), d, dep, (journal or {}).get(d.name)),
                "managed": ours(ledger.get(d.name), dep),
                "deploy_id": dep.deploy_id if dep else None,
                "launched": dep.launched.strftime("%Y-%m-%dT%H:%M:%SZ") if dep and dep.launched else None,
                "uptime": uptime(dep, now),
                "last_error": (dep.error or None) if dep else None,
                "interrupted": _interrupted((journal or {}).get(d.name)),
            }
        )
    return rows


def _flat_or(shown: str, d: Desired, dep: LiveDeployment | None, j: JournalEntry | None) -> str:
    if j is not None and d.manifest.running and (dep is None or not dep.active):
        return "FLAT"
    return shown


def _interrupted(j: JournalEntry | None) -> dict[str, str] | None:
    """The journal's step and time for a change an apply left in flight."""
    return {"step": j.step, "at": j.at} if j is not None else None
