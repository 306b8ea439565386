"""What an apply (or a heal, which is one) tells the notification targets: one event per change that ended in
something a person should hear of."""

from __future__ import annotations

from collections.abc import Sequence

from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.notify.base import Event


def from_results(results: Sequence[Result], environment: str, at: str, done: str = "applied") -> list[Event]:
    """`done` names the event of a change carried out (`healed` when watch made it)."""
    events = []
    for r in results:
        if r.outcome is Outcome.NOT_ATTEMPTED:
            continue
        kind = {Outcome.DONE: done, Outcome.ROLLED_BACK: "rolled-back"}.get(r.outcome, "apply-failed")
        if kind == "apply-failed" and done == "healed":
            kind = "heal-failed"
        events.append(_event(r, kind, environment, at, r.detail or r.change.action.value))
        if r.flat:
            events.append(_event(r, "flat", environment, at, r.flat))
    return events


def _event(r: Result, kind: str, environment: str, at: str, reason: str) -> Event:
    observed = r.change.observed
    deploy_id = r.deploy_id or (observed.deploy_id if observed else "")
    return Event(kind, environment, r.change.name, r.change.project_id, deploy_id, reason, at)
