"""The plan pipeline shared by plan and apply: manifests -> live state -> Plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qcdeploy.app import App, check_names, split_args

if TYPE_CHECKING:
    from qcdeploy.ledger import Ledger
    from qcdeploy.model import Plan


def make_plan(
    app: App, args: Sequence[str], targets: Sequence[str], prune: bool, replace_names: Sequence[str]
) -> tuple[Plan, Ledger]:
    """Load, observe, plan. Names among args act as --target."""
    from qcdeploy.fingerprint import warm
    from qcdeploy.planner import PlanOptions, plan

    paths, names = split_args(args)
    manifests = app.load(paths)
    ledger = app.ledger()
    check_names([*names, *targets], manifests, extra=list(ledger.entries))
    check_names(replace_names, manifests)
    state, desired = app.observe(manifests)
    warm([d for d in desired if d.name in ledger.entries], ledger.salt)
    options = PlanOptions(frozenset([*names, *targets]), prune, frozenset(replace_names))
    return plan(desired, state, ledger.entries, ledger.salt, options), ledger
