"""The journal of changes in flight: written before a step that cannot be undone, cleared once the change is recorded.

A run that dies (SIGKILL, an OOM kill, a cancelled CI job) leaves its entry behind, so the next plan can say which
strategy it left down and what it was doing, and the next apply can finish the change without a second stop or a
second create. Entries hold no secret: specs carry salted hashes and references (`${env:NAME}`), as the ledger's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from qcdeploy.model import LedgerEntry

# the steps of a change, in order; "flat" is where a run ended with nothing running and could not say more
STOPPING = "stopping"  # a replace's stop (or liquidate) is about to be sent
STOPPED = "stopped"  # the old deployment has stopped; nothing runs until the create
CREATING = "creating"  # live/create is about to be sent (a deployment newer than `baseline` is this one)
WATCHING = "watching"  # the new deployment is recorded; apply watches it come up
FLAT = "flat"  # the run gave up with nothing running (its FLAT line says why)
STEPS = (STOPPING, STOPPED, CREATING, WATCHING, FLAT)


@dataclass(frozen=True)
class JournalEntry:
    """One change in flight: what ran before, what it is becoming, how far it got, and who ran it."""

    name: str
    action: str  # "create" | "replace"
    project_id: int
    step: str
    at: str  # when that step was reached (UTC, ISO 8601)
    target: LedgerEntry  # the spec and compile being deployed (deployId "" until known)
    old: LedgerEntry | None = None  # the ledger's record of what ran before: what a rollback needs
    stopping: str = ""  # the deployId the replace stops
    baseline: str = ""  # the project's newest deployId before the create was sent
    deploy_id: str = ""  # the new deployment, once live/create answered
    who: str = ""
    ci_run: str = ""
    flat: str = ""  # why nothing runs, when the run that wrote it ended FLAT

    def at_step(self, step: str, at: str, **changes: Any) -> JournalEntry:
        return replace(self, step=step, at=at, **changes)


def who_and_run() -> tuple[str, str]:
    """Who writes the entry and which CI run, as a lock records them."""
    from qcdeploy.ledger.backends.base import lock_info

    info = lock_info("apply")
    return str(info["who"]), str(info["ci_run"] or "")


def to_json(j: JournalEntry, entry_json: Callable[[LedgerEntry], dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "action": j.action,
        "projectId": j.project_id,
        "step": j.step,
        "at": j.at,
        "target": entry_json(j.target),
        "old": entry_json(j.old) if j.old is not None else None,
        "stopping": j.stopping,
        "baseline": j.baseline,
        "deployId": j.deploy_id,
        "who": j.who,
        "ciRun": j.ci_run,
        "pid": os.getpid(),
    }
    if j.flat:
        doc["flat"] = j.flat
    return doc


def from_json(
    name: str, raw: dict[str, Any], parse_entry: Callable[[str, dict[str, Any]], LedgerEntry]
) -> JournalEntry:
    step = str(raw["step"])
    if step not in STEPS:
        raise ValueError(f"unknown journal step {step!r}")
    old = raw.get("old")
    return JournalEntry(
        name=name,
        action=str(raw["action"]),
        project_id=int(raw["projectId"]),
        step=step,
        at=str(raw.get("at", "")),
        target=parse_entry(name, raw["target"]),
        old=parse_entry(name, old) if isinstance(old, dict) else None,
        stopping=str(raw.get("stopping") or ""),
        baseline=str(raw.get("baseline") or ""),
        deploy_id=str(raw.get("deployId") or ""),
        who=str(raw.get("who") or ""),
        ci_run=str(raw.get("ciRun") or ""),
        flat=str(raw.get("flat") or ""),
    )
