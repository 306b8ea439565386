"""Changes an apply that died left in the ledger's journal: named first, and finished by the next apply. Pure.

For each journal entry the live state of its project decides (docs/design.md, "what runs if the process dies"):

- a deployment newer than the one before the create was sent is the create that was sent (the same rule as a
  lost answer): active, it is recorded (`~`, no second create); ended, it is created again, with rollback;
- nothing active: the strategy is FLAT; the target is created (`+`, rolled back to the old spec if it fails),
  or with `--rollback-interrupted` the old spec is;
- the old deployment still runs: the death came before its stop took; the plan's own decision stands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from qcdeploy.ledger.journal import CREATING, FLAT, STOPPED, STOPPING, WATCHING, JournalEntry
from qcdeploy.model import (
    Change,
    Create,
    Desired,
    Interruption,
    LedgerEntry,
    LiveDeployment,
    LiveState,
    Plan,
    Reason,
    Update,
    Why,
)

_DID = {
    STOPPING: "while stopping {stopping}",
    STOPPED: "after stopping {stopping}",
    CREATING: "after sending the create of {name}",
    WATCHING: "while watching {deploy_id} come up",
    FLAT: "leaving it FLAT ({flat})",
}
_ORDER = {"stop": 0, "liquidate": 0, "replace": 1, "create": 2, "update": 3}


def resume(
    plan: Plan,
    journal: Mapping[str, JournalEntry],
    state: LiveState,
    desired: Sequence[Desired],
    ledger: Mapping[str, LedgerEntry],
    rollback: bool = False,
    targets: frozenset[str] = frozenset(),
) -> Plan:
    """The plan with every journal entry named (Plan.interrupted) and the change that finishes it in place of the
    planner's own for that name; with --target, only a targeted one is finished (every one is still named)."""
    wanted = {d.name: d for d in desired}
    changes = {c.name: c for c in plan.changes}
    unmanaged = list(plan.unmanaged)
    shown = []
    for name, j in sorted(journal.items()):
        dep = state.deployments.get(j.project_id)
        d = wanted.get(name)
        fresh = _created(j, dep)
        targeted = not targets or name in targets
        finish = _finish(j, dep, fresh, d, ledger.get(name), changes.get(name), rollback) if targeted else None
        if finish is not None:
            changes[name] = finish
            unmanaged = [u for u in unmanaged if dep is None or u.deployment.deploy_id != dep.deploy_id]
        # a strategy that ran before and runs nothing now; a first deployment that never came up is not "flat"
        ran = j.old is not None or j.action == "replace"
        flat = ran and d is not None and d.manifest.running and (dep is None or not dep.active)
        settled = targeted and not flat and name not in changes
        shown.append(Interruption(name, _words(j, dep, fresh, flat), flat, j.step, j.at, j.project_id, settled))
    ordered = sorted(changes.values(), key=lambda c: (_ORDER[c.action.value], c.name))
    return replace(plan, changes=tuple(ordered), unmanaged=tuple(unmanaged), interrupted=tuple(shown))


def _created(j: JournalEntry, dep: LiveDeployment | None) -> LiveDeployment | None:
    """The project's deployment that the interrupted create made, if it made one."""
    if dep is None or j.step not in (CREATING, WATCHING, FLAT):
        return None
    if j.deploy_id and dep.deploy_id == j.deploy_id:
        return dep
    before = {j.baseline, j.stopping, j.old.deploy_id if j.old is not None else ""}
    return dep if j.step == CREATING and dep.deploy_id not in before else None


def _finish(
    j: JournalEntry,
    dep: LiveDeployment | None,
    fresh: LiveDeployment | None,
    d: Desired | None,
    entry: LedgerEntry | None,
    planned: Change | None,
    rollback: bool,
) -> Change | None:
    """The change that finishes j, or None to keep the planner's decision."""
    if d is None or not d.manifest.running:
        return None
    if fresh is not None and fresh.active:
        if entry is not None and entry.deploy_id == fresh.deploy_id:
            return None  # already recorded: the planner compared it like any deployment of ours
        why = Reason(Why.INTERRUPTED, f"record {fresh.deploy_id}, which the interrupted apply created")
        recorded = replace(j.target, deploy_id=fresh.deploy_id)
        return Update(name=j.name, reasons=(why,), desired=d, observed=fresh, entry=recorded)
    if dep is not None and dep.active:
        return None
    what = "the old spec redeployed (--rollback-interrupted)" if rollback and j.old else "the target deployed"
    why = Reason(Why.INTERRUPTED, f"finishes the change an interrupted apply left: {what}")
    others = tuple(r for r in (planned.reasons if planned is not None else ()) if r.why is not Why.STOPPED_OUTSIDE)
    restore = rollback and j.old is not None
    return Create(name=j.name, reasons=(why, *others), desired=d, observed=dep, entry=j.old, restore=restore)


def _words(j: JournalEntry, dep: LiveDeployment | None, fresh: LiveDeployment | None, flat: bool) -> str:
    did = _DID[j.step].format(
        stopping=j.stopping or "the old deployment", name=j.name, deploy_id=j.deploy_id or "it", flat=j.flat
    )
    when = f" at {_clock(j.at)}" if j.at else ""
    by = f" (by {j.who}{', CI run ' + j.ci_run if j.ci_run else ''})" if j.who else ""
    if flat:
        now = "nothing is running (FLAT)"
        if fresh is not None:
            now = f"the deployment it created, {fresh.deploy_id}, ended {fresh.status}; nothing is running (FLAT)"
    elif fresh is not None:
        now = f"it created {fresh.deploy_id}, which is {fresh.status}"
    elif dep is not None and dep.active:
        now = f"{dep.deploy_id} is {dep.status}"
    else:
        now = "nothing is running"
    return f"an apply {'gave up' if j.step == FLAT else 'died'} {did}{when}{by}; {now}"


def _clock(stamp: str) -> str:
    """2026-12-06T14:02:11Z -> 14:02 UTC (the date too when it is not today's is in the JSON)."""
    return f"{stamp[11:16]} UTC" if len(stamp) >= 16 else stamp
