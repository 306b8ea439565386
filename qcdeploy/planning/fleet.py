"""The whole plan of a fleet from what was read: secrets hashed ahead, the planner's decisions, and what each stop
puts at stake. `qcdeploy plan` and `apply` call it once they hold the manifests, the live state and the ledger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qcdeploy.ledger.journal import JournalEntry
from qcdeploy.model import Desired, LedgerEntry, LiveState, Plan
from qcdeploy.planning.backtestgate import plan_note
from qcdeploy.planning.codehash import with_code_hashes
from qcdeploy.planning.exposure import with_exposure
from qcdeploy.planning.fingerprint import warm
from qcdeploy.planning.interrupted import resume
from qcdeploy.planning.leanversions import with_lean_versions
from qcdeploy.planning.planner import PlanOptions, plan

if TYPE_CHECKING:
    from qcdeploy.quantconnect.endpoints import Api


def plan_fleet(
    api: Api,
    desired: Sequence[Desired],
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    salt: str,
    options: PlanOptions,
    elsewhere: Mapping[str, str] | None = None,
    backtests: Mapping[str, Mapping[str, Any]] | None = None,
    journal: Mapping[str, JournalEntry] | None = None,
    rollback_interrupted: bool = False,
) -> Plan:
    """The plan, with `exposure` read (live/portfolio/read) for every change that stops an active deployment, and
    the code hash (files/read) of each project whose `modified` moved since its compile.
    `elsewhere` maps the deployIds other environments' ledgers manage to their environment; `journal` holds the
    changes an apply that died left in flight: each is named, and finished in place of the planner's decision."""
    desired = with_code_hashes(api, with_lean_versions(api, desired), ledger)
    desired = [replace(d, gate_note=plan_note(d, ledger.get(d.name), backtests or {})) for d in desired]
    warm([(d, ledger[d.name]) for d in desired if d.name in ledger], salt)  # every distinct secret hashed once
    decided = plan(desired, state, ledger, salt, options, elsewhere)
    if journal:
        decided = resume(decided, journal, state, desired, ledger, rollback_interrupted, options.targets)
    return with_exposure(api, decided)
