"""Pure planning: desired deployments + observed state + ledger -> an ordered Plan. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qcdeploy.model import (
    Action,
    Change,
    Create,
    Desired,
    FieldChange,
    LedgerEntry,
    LiveDeployment,
    LiveState,
    Node,
    Orphan,
    Plan,
    Reason,
    Replace,
    Stop,
    Unmanaged,
    Update,
    Why,
    ours,
)
from qcdeploy.planning.codehash import modified_moved
from qcdeploy.planning.fielddiff import changed_fields, field_changes
from qcdeploy.planning.fingerprint import entry_salt, masked, recorded_fields

_ORDER = {
    Action.STOP: 0,
    Action.LIQUIDATE: 0,
    Action.REPLACE: 1,
    Action.CREATE: 2,
    Action.UPDATE: 3,
}


@dataclass(frozen=True)
class PlanOptions:
    """What the user asked for on the command line."""

    targets: frozenset[str] = frozenset()
    prune: bool = False
    replace: frozenset[str] = frozenset()


@dataclass
class _Acc:
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    orphaned: list[Orphan] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def plan(
    desired: Sequence[Desired],
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    salt: str,
    options: PlanOptions = PlanOptions(),
    elsewhere: Mapping[str, str] | None = None,
) -> Plan:
    """Compare and decide, per the decision table in docs/design.md.

    `elsewhere`: deployIds other environments manage, by environment."""
    acc = _Acc()
    wanted = [d for d in desired if _targeted(d.name, options)]
    for d in wanted:
        _plan_one(d, state, ledger.get(d.name), salt, options, acc)
    names = {d.name for d in desired}
    for entry in ledger.values():
        if entry.name not in names and _targeted(entry.name, options):
            _plan_orphan(entry, state, options, acc)
    acc.unmanaged += _unmanaged(state, ledger, desired, acc.changes, options)
    acc.unmanaged = [replace(u, environment=(elsewhere or {}).get(u.deployment.deploy_id, "")) for u in acc.unmanaged]
    changes = _block_busy_nodes([_with_parameters(c) for c in acc.changes], state)
    changes.sort(key=lambda c: (_ORDER[c.action], c.name))
    warnings = (
        ("Targeting is in effect: deployments not named by --target were not planned.",) if options.targets else ()
    ) + tuple(
        f"{d.name}: spec.{'.'.join(map(str, path))} (sensitive, not set here: cannot tell whether it changed)"
        for d in wanted
        for path in sorted(d.manifest.unset, key=str)
    )
    return Plan(
        tuple(changes),
        tuple(acc.unmanaged),
        tuple(acc.orphaned),
        tuple(sorted(acc.unchanged)),
        warnings,
    )


def _targeted(name: str, options: PlanOptions) -> bool:
    return not options.targets or name in options.targets


def _plan_one(
    d: Desired,
    state: LiveState,
    entry: LedgerEntry | None,
    salt: str,
    options: PlanOptions,
    acc: _Acc,
) -> None:
    pid = d.project.project_id
    observed = state.deployments.get(pid)
    moved_from = _moved_from(entry, pid, state)
    protect = bool(d.manifest.spec["protect"])
    if not d.manifest.running:
        target = observed if observed is not None and observed.active else moved_from
        if target is None:
            acc.unchanged.append(d.name)
            return
        managed = ours(entry, target)
        reason = Reason(
            Why.STATE_STOPPED, "state: stopped" + ("" if managed else " (this deployment was not made by qcdeploy)")
        )
        acc.changes.append(_stop(d.name, target, d.manifest.spec["onStop"], reason, protect, managed, d, entry))
        return
    if observed is None or not observed.active:
        if moved_from is not None:
            acc.changes.append(
                _replace(
                    d,
                    moved_from,
                    entry,
                    (Reason(Why.PROJECT_MOVED, f"project changed from {moved_from.project_id} to {pid}"),),
                    (),
                    True,
                )
            )
        else:
            acc.changes.append(
                Create(
                    name=d.name,
                    reasons=(_create_reason(observed, entry),),
                    desired=d,
                    observed=observed,
                    entry=entry,
                    since_last_run=_since_last_run(d, entry, salt),
                )
            )
        return
    if not ours(entry, observed):
        if d.name in options.replace:
            acc.changes.append(
                _replace(
                    d,
                    observed,
                    entry,
                    (Reason(Why.REPLACE_REQUESTED, "replacement of an unmanaged deployment requested (--replace)"),),
                    (),
                    False,
                )
            )
        else:
            acc.unmanaged.append(Unmanaged(observed, d.project.name, d.name))
        return
    assert entry is not None
    # hashed with the salt the entry was written with: a ledger whose salt changed still compares truly
    recorded = _unknown_as_before(recorded_fields(d, entry_salt(entry, salt), like=entry.spec), entry, d)
    fields = field_changes(_legacy_version(entry.spec, d), recorded)
    reasons = [Reason(Why.FIELD_CHANGED, f"{name} changed") for name in changed_fields(fields)]
    reasons += _code_changed(d, entry)
    if d.name in options.replace:
        reasons.insert(0, Reason(Why.REPLACE_REQUESTED, "replacement requested (--replace)"))
    drifted = "parameters" not in changed_fields(fields) and bool(parameter_changes(d))
    if drifted:  # the running algorithm still has the manifest's values; a restart would read the project's
        reasons.append(Reason(Why.PARAMETERS_EDITED, "project parameters changed outside qcdeploy"))
    in_place = [r for r in reasons if r.why is Why.PARAMETERS_EDITED]
    if len(reasons) > len(in_place):
        acc.changes.append(_replace(d, observed, entry, tuple(reasons), fields, True))
    elif in_place or (entry.protect, entry.on_stop) != (protect, d.manifest.spec["onStop"]):
        meta = (entry.protect, entry.on_stop) != (protect, d.manifest.spec["onStop"])
        why = [*in_place, *([Reason(Why.LEDGER_ONLY, "protect/onStop changed (ledger only)")] if meta else [])]
        acc.changes.append(Update(name=d.name, reasons=tuple(why), desired=d, observed=observed, entry=entry))
    else:
        acc.unchanged.append(d.name)


def _since_last_run(d: Desired, entry: LedgerEntry | None, salt: str) -> tuple[FieldChange, ...]:
    """For a restart in the project qcdeploy last ran it in: the fields that differ from what it recorded then."""
    if entry is None or entry.project_id != d.project.project_id:
        return ()
    recorded = _unknown_as_before(recorded_fields(d, entry_salt(entry, salt), like=entry.spec), entry, d)
    return tuple(field_changes(_legacy_version(entry.spec, d), recorded))


def _legacy_version(recorded: Mapping[str, Any], d: Desired) -> Mapping[str, Any]:
    """Before qcdeploy deployed the project's own LEAN version by default it recorded "-1" for an unset versionId:
    that is the same manifest, not a change (a replace for it alone would restart a strategy for nothing)."""
    if recorded.get("versionId") == "-1" and "versionId" not in d.manifest.doc.value["spec"]:
        return {**recorded, "versionId": d.manifest.spec["versionId"]}
    return recorded


def _unknown_as_before(recorded: dict[str, Any], entry: LedgerEntry, d: Desired) -> dict[str, Any]:
    """A secret whose variable is not set here (a read-only command) cannot be compared: take it as recorded."""
    for path in d.manifest.unset:
        before: Any = entry.spec
        for part in path:
            before = before.get(part) if isinstance(before, dict) else None
        if before is not None:
            recorded = masked(recorded, [path], before)
    return recorded


def parameter_changes(d: Desired) -> tuple[FieldChange, ...]:
    """The project's parameters (as projects/read reports them) against the manifest's, key by key. A secret
    whose variable is not set here (a read-only command) cannot be compared, so it is never a change by itself."""
    now, wanted = dict(d.project.parameters), dict(d.manifest.spec["parameters"])
    return tuple(
        FieldChange(("parameters", key), now.get(key), wanted.get(key), ("parameters", key) in d.manifest.sensitive)
        for key in sorted(set(now) | set(wanted))
        if now.get(key) != wanted.get(key) and ("parameters", key) not in d.manifest.unset
    )


def _with_parameters(c: Change) -> Change:
    if not isinstance(c, (Create, Replace, Update)):
        return c
    return replace(c, parameter_changes=parameter_changes(c.desired))


def _moved_from(entry: LedgerEntry | None, pid: int, state: LiveState) -> LiveDeployment | None:
    """The deployment still running in the project this manifest used to name."""
    if entry is None or entry.project_id == pid:
        return None
    old = state.deployments.get(entry.project_id)
    return old if old is not None and old.active and ours(entry, old) else None


def _create_reason(observed: LiveDeployment | None, entry: LedgerEntry | None) -> Reason:
    if observed is None:
        return Reason(Why.NEW, "new deployment")
    if observed.failed:
        detail = f": {observed.error}" if observed.error else ""
        return Reason(Why.CRASHED, f"last deployment {observed.deploy_id} ended in {observed.status}{detail}")
    if ours(entry, observed):
        return Reason(
            Why.STOPPED_OUTSIDE, f"deployment {observed.deploy_id} was {observed.status.lower()} outside qcdeploy"
        )
    return Reason(Why.NOT_RUNNING, f"no active deployment (last one {observed.deploy_id} is {observed.status})")


def _code_changed(d: Desired, entry: LedgerEntry) -> list[Reason]:
    """`modified` moved past the compile's, and the files (when their hash was read) differ from the compiled."""
    if not modified_moved(d, entry):
        return []
    if entry.code_hash and d.project.code_hash == entry.code_hash:
        return []  # the same code: something else moved `modified` (a parameter edit in the web UI, say)
    compile_id = entry.compile_id or "(unknown)"
    return [
        Reason(Why.CODE_CHANGED, f"project code changed since compile {compile_id} (modified {d.project.modified})")
    ]


def _replace(
    d: Desired,
    observed: LiveDeployment,
    entry: LedgerEntry | None,
    reasons: tuple[Reason, ...],
    fields: tuple[FieldChange, ...],
    managed: bool,
) -> Replace:
    return Replace(
        name=d.name,
        reasons=reasons,
        desired=d,
        observed=observed,
        entry=entry,
        field_changes=fields,
        # how a replace ends the old deployment is its own choice: onStop is how the strategy ends (issue 22)
        liquidate=d.manifest.spec["onReplace"] == "liquidate",
        protected=bool(d.manifest.spec["protect"]),
        managed=managed,
    )


def _stop(
    name: str,
    observed: LiveDeployment,
    on_stop: str,
    reason: Reason,
    protected: bool,
    managed: bool,
    desired: Desired | None,
    entry: LedgerEntry | None,
) -> Stop:
    return Stop(
        name=name,
        reasons=(reason,),
        desired=desired,
        observed=observed,
        entry=entry,
        liquidate=on_stop == "liquidate",
        protected=protected,
        managed=managed,
    )


def _plan_orphan(entry: LedgerEntry, state: LiveState, options: PlanOptions, acc: _Acc) -> None:
    dep = state.deployments.get(entry.project_id)
    if dep is None or not dep.active or not ours(entry, dep):
        return
    if options.prune:
        acc.changes.append(
            _stop(
                entry.name,
                dep,
                entry.on_stop,
                Reason(Why.PRUNED, "manifest removed (--prune)"),
                entry.protect,
                True,
                None,
                entry,
            )
        )
    else:
        acc.orphaned.append(Orphan(entry, dep))


def _unmanaged(
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    desired: Sequence[Desired],
    changes: list[Change],
    options: PlanOptions,
) -> list[Unmanaged]:
    if options.targets:
        return []
    ours = {e.deploy_id for e in ledger.values()}
    wanted = {d.project.project_id for d in desired}
    touched = {c.observed.project_id for c in changes if c.observed is not None}
    return [
        Unmanaged(dep, state.projects[pid].name if pid in state.projects else "")
        for pid, dep in sorted(state.deployments.items())
        if dep.active and dep.deploy_id not in ours and pid not in wanted and pid not in touched
    ]


def _block_busy_nodes(changes: list[Change], state: LiveState) -> list[Change]:
    """A create on a node that stays busy would fail; for a replace it would leave the strategy flat."""
    stopping = {c.observed.project_id for c in changes if c.stops and c.observed is not None}
    freed_ids = {str(c.entry.spec.get("nodeId")) for c in changes if c.stops and c.entry is not None}
    freed_projects = stopping | {state.projects[p].name for p in stopping if p in state.projects}
    result = []
    for c in changes:
        node = c.desired.node if c.creates and c.desired is not None else None
        if node is not None and _stays_busy(node, freed_ids, freed_projects):
            user = f" (used by {node.used_by})" if node.used_by else ""
            c = replace(c, blocked=f"node {node.name or node.id} is busy{user} and this plan does not free it")
        result.append(c)
    return result


def _stays_busy(node: Node, freed_ids: set[str], freed_projects: set[int | str]) -> bool:
    """Busy, and not held by a deployment this plan stops (known by ledger, project id or name)."""
    if not node.busy or node.id in freed_ids:
        return False
    return node.project_id not in freed_projects and (not node.project_name or node.project_name not in freed_projects)
