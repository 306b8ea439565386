"""One pass of `watch`, decided: what was found (drift's findings) and, per deployment, whether to heal it, sync
it, wait out its backoff, give up on it, or only report it. Pure: the plan, the ledger and its history, the heal
policies and the time in; decisions as data out. `docs/design.md` ("Between applies: watch") is the contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from qcdeploy.model import Change, LedgerEntry, Plan, dotted, ours
from qcdeploy.notify.base import Event
from qcdeploy.planning.drift import Finding, findings
from qcdeploy.planning.heal import REDEPLOY, HealPolicy
from qcdeploy.quantconnect.decode import parse_time

HEAL_EVENTS = ("healed", "heal-failed")  # history events that count as one restart each
_HEALABLE = {"crashed": "crashed", "stopped-outside": "stopped_outside"}  # finding kind -> HealPolicy attribute
# what --sync applies: the manifests' own changes. Never a crash or an outside stop (spec.heal decides those), nor
# what someone else runs or redeployed, nor an orphan (that is `apply --prune`, after a review)
SYNCED = frozenset({"manifest-changed", "code-changed", "not-deployed", "should-be-stopped"})


class Act(str, Enum):
    """What watch does about one finding."""

    REPORT = "report"
    HEAL = "heal"  # redeploy now: spec.heal asks for it, within maxRestarts and past the backoff
    BACKOFF = "backoff"  # would heal, but the last heal of it is more recent than heal.backoff
    GAVE_UP = "gave-up"  # maxRestarts heals within heal.per: left alone until a person applies it
    SYNC = "sync"  # a manifest change applied because watch runs with --sync


@dataclass(frozen=True)
class Decision:
    finding: Finding
    act: Act
    change: Change | None = None  # the plan's change that a heal or a sync carries out
    detail: str = ""


@dataclass(frozen=True)
class Survey:
    decisions: tuple[Decision, ...]
    interrupted: tuple[Finding, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.decisions or self.interrupted)

    def acting(self) -> list[Decision]:
        return [d for d in self.decisions if d.act in (Act.HEAL, Act.SYNC)]


def interrupted_changes(plan: Plan) -> tuple[Finding, ...]:
    """The changes an apply left in flight (its journal, kept with the ledger), as the plan names them: reported,
    never healed by watch (the next apply finishes each, as its plan says)."""
    return tuple(f for f in findings(plan, {}, include_unmanaged=False) if f.kind == "interrupted")


def survey(
    plan: Plan,
    entries: Mapping[str, LedgerEntry],
    policies: Mapping[str, HealPolicy],
    history: Sequence[Mapping[str, Any]],
    now: datetime,
    sync: bool = False,
    include_unmanaged: bool = True,
) -> Survey:
    """Every finding of the plan with what watch does about it, most urgent first."""
    changes = {c.name: c for c in plan.changes}
    decisions = []
    for f in findings(plan, entries, include_unmanaged):
        if f.kind == "interrupted":
            continue  # Survey.interrupted: reported on their own
        change = changes.get(f.name) if f.name else None
        decisions.append(_decide(f, change, entries, policies.get(f.name or "", HealPolicy()), history, now, sync))
    return Survey(tuple(decisions))


def _decide(
    f: Finding,
    change: Change | None,
    entries: Mapping[str, LedgerEntry],
    policy: HealPolicy,
    history: Sequence[Mapping[str, Any]],
    now: datetime,
    sync: bool,
) -> Decision:
    attr = _HEALABLE.get(f.kind)
    if attr is not None and change is not None and getattr(policy, attr) == REDEPLOY:
        # only what qcdeploy itself ran is healed: someone else's crashed deployment is theirs to restart
        if not ours(entries.get(change.name), change.observed):
            return Decision(f, Act.REPORT, detail="not the deployment qcdeploy recorded: not healed")
        changed = "" if sync else more_than_a_restart(change, entries[change.name])
        if changed:
            return Decision(f, Act.REPORT, detail=f"not healed: {changed}; apply it (or watch --sync)")
        return _heal_or_hold(f, change, entries[change.name], policy, history, now)
    if sync and change is not None and f.kind in SYNCED:
        return Decision(f, Act.SYNC, change)
    return Decision(f, Act.REPORT)


def more_than_a_restart(change: Change, entry: LedgerEntry) -> str:
    """Why redeploying now would also apply a change ("" when it would run what ran before): a heal restarts, it
    does not carry manifest or code changes past review (that is apply's, or --sync's)."""
    fields = sorted({dotted(fc.path[:1]) for fc in change.since_last_run})
    if fields:
        return f"the manifest changed since its last run ({', '.join(fields)})"
    d = change.desired
    recorded = parse_time(entry.project_modified)
    current = d.project.modified_at if d is not None else None
    if d is not None and d.manifest.spec["compile"] == "latest" and recorded and current and current > recorded:
        return f"the project's code changed since compile {entry.compile_id or '(unknown)'}"
    return ""


def _heal_or_hold(
    f: Finding,
    change: Change,
    entry: LedgerEntry,
    policy: HealPolicy,
    history: Sequence[Mapping[str, Any]],
    now: datetime,
) -> Decision:
    tries = restarts(history, change.name, entry, now - timedelta(seconds=policy.per))
    if len(tries) >= policy.max_restarts:
        return Decision(f, Act.GAVE_UP, detail=f"{len(tries)} heal(s) within {_span(policy.per)}; apply it by hand")
    if tries and (now - max(tries)).total_seconds() < policy.backoff:
        return Decision(f, Act.BACKOFF, detail=f"last heal at {max(tries):%H:%M:%SZ}; backoff {_span(policy.backoff)}")
    return Decision(f, Act.HEAL, change)


def restarts(history: Sequence[Mapping[str, Any]], name: str, entry: LedgerEntry, since: datetime) -> list[datetime]:
    """When watch healed `name` since `since`. A deployment a person applied after the last heal starts afresh:
    the entry then records a deployId no heal made."""
    tries = [(at, e) for e in history if e.get("event") in HEAL_EVENTS and e.get("name") == name for at in _at(e)]
    made = {str(e.get("deployId")) for _, e in tries if e.get("event") == "healed"}
    applied = next(iter(_at({"at": entry.applied_at})), None)
    if tries and entry.deploy_id not in made and applied is not None and applied > max(at for at, _ in tries):
        return []
    return [at for at, _ in tries if at >= since]


def _at(event: Mapping[str, Any]) -> list[datetime]:
    try:
        return [datetime.fromisoformat(str(event.get("at", "")).replace("Z", "+00:00"))]
    except ValueError:
        return []


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


_EVENT_OF = {"crashed": "crashed", "stopped-outside": "stopped-outside", "unmanaged": ""}


def events(found: Survey, environment: str, at: str) -> list[Event]:
    """What the targets hear of a pass's findings (not of its heals: those are the apply's events). A deployment
    no manifest claims is someone else's: not news."""
    out = []
    for d in [*found.decisions, *(Decision(f, Act.REPORT) for f in found.interrupted)]:
        f = d.finding
        kind = _EVENT_OF.get(f.kind, "interrupted" if f.kind == "interrupted" else "drift")
        if kind and f.name:
            out.append(Event(kind, environment, f.name, f.project_id, f.deploy_id or "", f.detail, at))
        if d.act is Act.GAVE_UP and f.name:
            out.append(Event("gave-up", environment, f.name, f.project_id, f.deploy_id or "", d.detail, at))
    return out
