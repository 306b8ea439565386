"""Drift: how the live fleet differs from the manifests, in the words an on-call trader needs. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qcdeploy.model import Action, Change, LedgerEntry, Plan, Why, ours

KINDS = {
    "interrupted": "an apply died mid-change (the ledger's journal); FLAT when nothing runs",
    "crashed": "crashed (RuntimeError or DeployError)",
    "stopped-outside": "stopped outside qcdeploy",
    "redeployed-outside": "redeployed outside qcdeploy",
    "code-changed": "project code changed since its compile",
    "manifest-changed": "manifest changed, not yet applied",
    "not-deployed": "in a manifest, not running",
    "should-be-stopped": "running, manifest says stopped",
    "unmanaged": "running, not started by qcdeploy",
    "orphaned": "running, manifest removed",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    name: str | None
    project_id: int
    deploy_id: str | None
    detail: str
    environment: str = ""


def findings(plan: Plan, ledger: Mapping[str, LedgerEntry], include_unmanaged: bool = True) -> list[Finding]:
    """Every difference, most urgent first."""
    interrupted = {i.name for i in plan.interrupted}
    found = [
        Finding("interrupted", i.name, i.project_id, None, ("FLAT: " if i.flat else "") + i.detail)
        for i in plan.interrupted
    ]
    found += [_from_change(c) for c in plan.changes if c.action is not Action.UPDATE and c.name not in interrupted]
    for u in plan.unmanaged:
        if u.environment:
            continue  # another environment's own deployment: not drift of this one
        d = u.deployment
        entry = ledger.get(u.name) if u.name else None
        if entry is not None and entry.project_id == d.project_id and not ours(entry, d):
            found.append(
                Finding("redeployed-outside", u.name, d.project_id, d.deploy_id, f"ledger has {entry.deploy_id}")
            )
        elif include_unmanaged:
            what = f"manifest '{u.name}' wants this project" if u.name else f'project "{u.project_name}"'
            found.append(Finding("unmanaged", u.name, d.project_id, d.deploy_id, f"{d.status}; {what}"))
    for o in plan.orphaned:
        found.append(Finding("orphaned", o.entry.name, o.entry.project_id, o.deployment.deploy_id, o.deployment.status))
    order = list(KINDS)
    return sorted(found, key=lambda f: (order.index(f.kind), f.name or "", f.project_id))


def _from_change(c: Change) -> Finding:
    observed = c.observed
    deploy_id = observed.deploy_id if observed else None
    reasons = "; ".join(map(str, c.reasons))
    why = {r.why for r in c.reasons}
    if Why.CRASHED in why and observed is not None:
        return Finding("crashed", c.name, c.project_id, deploy_id, f"{observed.status}: {observed.error or '-'}")
    if Why.STOPPED_OUTSIDE in why and observed is not None:
        return Finding("stopped-outside", c.name, c.project_id, deploy_id, observed.status)
    if c.action is Action.CREATE:
        return Finding("not-deployed", c.name, c.project_id, deploy_id, reasons)
    if c.action in (Action.STOP, Action.LIQUIDATE):
        return Finding("should-be-stopped", c.name, c.project_id, deploy_id, reasons)
    if Why.CODE_CHANGED in why:
        return Finding("code-changed", c.name, c.project_id, deploy_id, reasons)
    return Finding("manifest-changed", c.name, c.project_id, deploy_id, reasons)
