"""The plan pipeline shared by plan and apply: manifests -> live state -> Plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qcdeploy.cli.workspace import App, check_names, split_args

if TYPE_CHECKING:
    from qcdeploy.ledger.store import Ledger
    from qcdeploy.manifests.load import Manifest
    from qcdeploy.model import LiveState, Plan
    from qcdeploy.planning.planner import PlanOptions


@dataclass(frozen=True)
class PlanRun:
    """A plan together with everything it was made from."""

    plan: Plan
    ledger: Ledger
    state: LiveState
    manifests: list[Manifest]
    paths: list[str]
    options: PlanOptions


def make_plan(
    app: App,
    args: Sequence[str],
    targets: Sequence[str],
    prune: bool,
    replace_names: Sequence[str],
    require_secrets: bool = True,
) -> PlanRun:
    """Load, observe, plan. Names among args act as --target. Only apply needs every secret set."""
    from qcdeploy.planning.planner import PlanOptions

    paths, names = split_args(args)
    app.prefetch()
    manifests = app.load(paths, require_secrets)
    ledger = app.ledger()
    check_names([*names, *targets], manifests, extra=list(ledger.entries))
    check_names(replace_names, manifests)
    options = PlanOptions(frozenset([*names, *targets]), prune, frozenset(replace_names))
    return plan_with(app, manifests, ledger, paths, options)


def plan_with(app: App, manifests: list[Manifest], ledger: Ledger, paths: list[str], options: PlanOptions) -> PlanRun:
    """Observe the live state and plan with options already decided (a saved plan's, say)."""
    from qcdeploy.planning.fleet import plan_fleet

    state, desired = app.observe(manifests)
    elsewhere = app.elsewhere() if app.env else None
    result = plan_fleet(
        app.api(),
        desired,
        state,
        ledger.entries,
        ledger.salt,
        options,
        elsewhere,
        ledger.backtests,
        journal=ledger.journal,
        rollback_interrupted=app.rollback_interrupted,
    )
    return PlanRun(replace(result, environment=app.env or ""), ledger, state, manifests, paths, options)
