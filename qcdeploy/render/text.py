"""Plan -> terminal text, in the manner of `terraform plan`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qcdeploy.model import Action, Change, Plan, command, dotted
from qcdeploy.planning.drainspec import before_stop, describe
from qcdeploy.planning.exposure import portfolio_plan
from qcdeploy.planning.fingerprint import display_fields
from qcdeploy.render import compact, stake
from qcdeploy.render.values import leaves, show

Style = Callable[[str, str], str]
_COLOURS = {"+": "green", "-": "red", "-$": "red", "-/+": "yellow", "~": "yellow"}
_VERBS = {
    Action.CREATE: "will be deployed",
    Action.REPLACE: "will be replaced (stopped, then deployed again; flat in between)",
    Action.STOP: "will be stopped (positions kept)",
    Action.LIQUIDATE: "will be liquidated (everything sold), then stopped",
    Action.UPDATE: "will be updated in place (no redeploy)",
}


# how a replace ends the old deployment (spec.onReplace), shown on every replace
REPLACE_HOW = {
    False: "stop (positions kept: the new deployment takes them over)",
    True: "liquidate (everything sold before the new deployment starts)",
}


def plain(text: str, colour: str) -> str:
    return text


def render(plan: Plan, style: Style = plain, verbose: bool = False, approved: Sequence[str] = ()) -> str:
    """The whole plan: changes, then what was left alone, then the summary line. A create shows what a reviewer
    needs; `verbose`, every field it sends."""
    lines: list[str] = interrupted_lines(plan, style)
    lines += [f"Warning: {w}" for w in plan.warnings]
    if plan.changes:
        lines += ["qcdeploy will perform the following actions:", ""]
        for change in plan.changes:
            lines += [*change_lines(change, style, verbose, approved), ""]
    lines += left_alone(plan)
    lines.append(summary(plan))
    return "\n".join(lines) + "\n"


def interrupted_lines(plan: Plan, style: Style = plain) -> list[str]:
    """First and loud: each strategy an apply that died left in flight, and whether anything runs for it now."""
    lines = [style(f"INTERRUPTED {i.name}: {i.detail}", "red") for i in plan.interrupted]
    return [*lines, ""] if lines else []


def change_lines(
    change: Change, style: Style = plain, verbose: bool = False, approved: Sequence[str] = ()
) -> list[str]:
    """Header, reasons and the fields that change for one deployment."""
    symbol = change.action.symbol
    where = _where(change)
    lines = [
        style(f"  {symbol} {change.name}", _COLOURS[symbol]) + f"  {_VERBS[change.action]}",
        f"      {where}",
    ]
    lines += [f"      reason: {r}" for r in change.reasons]
    if change.action is Action.REPLACE:
        lines.append(f"      onReplace: {REPLACE_HOW[change.liquidate]}")
    if change.exposure is not None:
        lines += stake.lines(change.exposure)
    carry = portfolio_plan(change)
    if carry is not None:
        lines.append(f"      paper portfolio: {stake.CARRY[carry]}")
    if change.action is Action.CREATE and change.desired is not None:
        fields = display_fields(change.desired)
        if verbose:
            lines += [f"        {path}: {show(value)}" for path, value in leaves(fields)]
        else:
            lines += [f"      {line}" for line in compact.create(fields)]
        lines += _since_last_run(change)
    for fc in change.field_changes:
        lines.append(f"      ~ {dotted(fc.path)}: {show(fc.before, fc.sensitive)} -> {show(fc.after, fc.sensitive)}")
    drain = before_stop(change) if change.stops else None
    if drain is not None:
        lines.append(f"      before the stop: {describe(drain)}")
    if change.creates and change.desired is not None and change.desired.gate_note:
        lines.append(f"      backtest gate: {change.desired.gate_note}")
    if change.action is Action.REPLACE and change.desired is not None and change.desired.lean_label:
        lines.append(f"      LEAN version: {display_fields(change.desired)['versionId']}")  # name and date
    if change.action is Action.UPDATE and change.entry is not None and change.desired is not None:
        spec = change.desired.manifest.spec
        for label, before, after in (
            ("protect", change.entry.protect, bool(spec["protect"])),
            ("onStop", change.entry.on_stop, spec["onStop"]),
        ):
            if before != after:
                lines.append(f"      ~ {label}: {show(before)} -> {show(after)}")
    shown = {fc.path for fc in change.field_changes}
    for fc in change.parameter_changes:
        if change.action is Action.CREATE or ("parameters", *fc.path[-1:]) in shown:
            continue  # the create's parameters line, or the field change above, says it already
        before, after = (show(v, fc.sensitive) if v is not None else "(none)" for v in (fc.before, fc.after))
        lines.append(f"      project parameters: {fc.path[-1]} {before} -> {after}")
    if change.stops and not change.managed:
        lines.append(style("      ! this deployment was not started by qcdeploy", "red"))
    if change.protected and change.stops and "protected" in approved:
        lines.append(style("      ! protected: approved (--allow-protected)", "yellow"))
    elif change.protected and change.stops:
        lines.append(style("      ! protected: apply refuses to stop it without --allow-protected", "red"))
    if change.blocked:
        lines.append(style(f"      ! blocked: {change.blocked}", "red"))
    return lines


def _since_last_run(change: Change) -> list[str]:
    """A restart of a deployment qcdeploy ran before: what differs from the spec it last ran with."""
    if change.entry is None or change.desired is None or change.entry.project_id != change.desired.project.project_id:
        return []
    since = change.since_last_run
    if not since:
        return ["      same spec as its last run"]
    return ["      changed since its last run:"] + [
        f"      ~ {dotted(fc.path)}: {show(fc.before, fc.sensitive)} -> {show(fc.after, fc.sensitive)}" for fc in since
    ]


def _where(change: Change) -> str:
    parts = []
    if change.desired is not None:
        d = change.desired
        parts.append(f'project {d.project.project_id} "{d.project.name}"')
        if change.creates:
            parts.append(f"node {d.node.name or d.node.id}")
    if change.observed is not None:
        if change.desired is None or change.observed.project_id != change.desired.project.project_id:
            parts.append(f"project {change.observed.project_id}")
        last = "last " if change.action is Action.CREATE else ""
        parts.append(f"{last}deployment {change.observed.deploy_id} ({change.observed.status})")
    return ", ".join(parts)


def left_alone(plan: Plan) -> list[str]:
    """Unmanaged and orphaned deployments, with the way forward for each."""
    lines: list[str] = []
    others = [u for u in plan.unmanaged if u.environment]
    if others:
        lines.append("Managed by other environments (left alone):")
        for u in others:
            d = u.deployment
            lines.append(
                f'  project {d.project_id} "{u.project_name}": {d.deploy_id} {d.status} (environment {u.environment})'
            )
        lines.append("")
    unmanaged = [u for u in plan.unmanaged if not u.environment]
    if unmanaged:
        lines.append("Unmanaged deployments (not started by qcdeploy; left alone):")
        for u in unmanaged:
            d = u.deployment
            line = f'  project {d.project_id} "{u.project_name}": {d.deploy_id} {d.status}'
            if u.name:
                adopt, redeploy = (command(f"{v} {u.name}", plan.environment) for v in ("adopt", "apply --replace"))
                line += (
                    f"\n      manifest '{u.name}' wants this project: `{adopt}` if it already matches the manifest, "
                    f"or `{redeploy}` to redeploy it"
                )
            lines.append(line)
        lines.append("")
    if plan.orphaned:
        lines.append("Orphaned deployments (in the ledger, manifest removed; left running):")
        for o in plan.orphaned:
            lines.append(
                f"  {o.entry.name}: project {o.entry.project_id}, {o.deployment.deploy_id} {o.deployment.status}"
                f" (`{command('apply --prune', plan.environment)}` stops it)"
            )
        lines.append("")
    return lines


def summary(plan: Plan) -> str:
    """`Plan: 1 to create, 1 to replace (1 liquidating), 0 to stop, 0 to liquidate.` or `No changes.`"""
    if not plan.changes:
        return "No changes. " + _left_alone_summary(plan)
    counts = ", ".join(
        f"{plan.count(a)} to {a.value}" + _liquidating(plan, a)
        for a in (Action.CREATE, Action.REPLACE, Action.STOP, Action.LIQUIDATE)
    )
    updates = plan.count(Action.UPDATE)
    extra = f", {updates} to update in place" if updates else ""
    return f"Plan: {counts}{extra}."


def _liquidating(plan: Plan, action: Action) -> str:
    """Every liquidation is counted: a replace that liquidates sells the book as a liquidation does."""
    n = liquidating_replaces(plan) if action is Action.REPLACE else 0
    return f" ({n} liquidating)" if n else ""


def liquidating_replaces(plan: Plan) -> int:
    return sum(1 for c in plan.changes if c.action is Action.REPLACE and c.liquidate)


def _left_alone_summary(plan: Plan) -> str:
    """Honest about what "no changes" covers: what is managed, and what was only listed."""
    managed, orphaned = len(plan.unchanged), len(plan.orphaned)
    unmanaged = sum(1 for u in plan.unmanaged if not u.environment)
    if not unmanaged and not orphaned:
        return "Live deployments match the manifests." if managed else "Nothing is deployed or wanted."
    if not managed:
        return (
            f"Nothing is managed yet: {unmanaged} running deployment(s) are unmanaged (adopt them, or export --adopt)."
        )
    listed = f"{unmanaged} unmanaged and {orphaned} orphaned listed above"
    return f"{managed} managed deployment(s) match their manifests; {listed}."
