"""Rules that refuse a whole apply before anything is touched."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qcdeploy.errors import PlanRefused
from qcdeploy.model import LedgerEntry, LiveState, Plan, ours


@dataclass(frozen=True)
class Limits:
    allow_protected: bool = False
    allow_empty: bool = False
    max_stops: int | None = None
    max_liquidation_value: float | None = None
    ignore_windows: str | None = None  # the reason given with --ignore-windows


def check(plan: Plan, state: LiveState, ledger: Mapping[str, LedgerEntry], limits: Limits) -> None:
    """Raise PlanRefused naming every rule the plan breaks; nothing has been changed yet."""
    problems = broken(plan, state, ledger, limits)
    if problems:
        raise PlanRefused("refusing to apply: " + "; ".join(problems) + ". Nothing was changed")


def broken(plan: Plan, state: LiveState, ledger: Mapping[str, LedgerEntry], limits: Limits) -> list[str]:
    """Every rule the plan breaks under these limits, in words (plan says them as its verdict)."""
    problems = []
    stopping = [c for c in plan.changes if c.stops]
    protected = [c.name for c in stopping if c.protected]
    if protected and not limits.allow_protected:
        problems.append(
            f"it would stop or replace protected deployment(s) {', '.join(protected)} (--allow-protected to allow)"
        )
    if limits.max_stops is not None and len(stopping) > limits.max_stops:
        problems.append(
            f"it would stop or replace {len(stopping)} deployment(s), more than --max-stops {limits.max_stops}"
        )
    if limits.max_liquidation_value is not None:
        problems += _liquidation(plan, limits.max_liquidation_value)
    # Argo CD's allowEmpty: an apply that leaves none of them running; a replace keeps its strategy running
    managed = _managed_active(state, ledger)
    ended = {c.observed.deploy_id for c in stopping if c.observed is not None and not c.creates}
    if len(managed) >= 2 and managed <= ended and not limits.allow_empty:
        problems.append(
            f"it would stop every one of the {len(managed)} running deployments qcdeploy manages, leaving none "
            "running (--allow-empty to allow)"
        )
    return problems


def _managed_active(state: LiveState, ledger: Mapping[str, LedgerEntry]) -> set[str]:
    """Deploy ids of active deployments that the ledger says are ours."""
    managed = set()
    for entry in ledger.values():
        dep = state.deployments.get(entry.project_id)
        if dep is not None and dep.active and ours(entry, dep):
            managed.add(dep.deploy_id)
    return managed


def _liquidation(plan: Plan, limit: float) -> list[str]:
    """Holdings the plan would sell at market, against --max-liquidation-value; unknown is never under it."""
    from qcdeploy.planning.exposure import liquidation_value

    total, unknown = liquidation_value(plan)
    problems = []
    if unknown:
        problems.append(
            f"the portfolio of {', '.join(unknown)} could not be read, so its liquidation cannot be shown to be "
            f"within --max-liquidation-value {limit:,.2f}"
        )
    if total > limit:
        problems.append(
            f"it would liquidate holdings worth {total:,.2f}, more than --max-liquidation-value {limit:,.2f}"
        )
    return problems
