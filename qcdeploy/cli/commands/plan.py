"""`qcdeploy plan`: show what apply would change."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import planning_options
from qcdeploy.cli.workspace import App, repo_root
from qcdeploy.errors import ConfigError
from qcdeploy.render import FORMATS

if TYPE_CHECKING:
    from qcdeploy.cli.commands.planning import PlanRun
    from qcdeploy.model import Plan


@click.command()
@planning_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none, 1 on error.")
@click.option(
    "--allow-protected",
    is_flag=True,
    help="With --out: approve stopping or replacing protected deployments in the saved plan (shown in it).",
)
@click.option(
    "--lock", "take_lock", is_flag=True, help="Hold the ledger's lock while planning (plan takes none by default)."
)
@click.pass_obj
def plan(
    app: App,
    args: tuple[str, ...],
    targets: tuple[str, ...],
    prune: bool,
    replace_names: tuple[str, ...],
    out_file: str | None,
    fmt: str,
    detailed_exitcode: bool,
    allow_protected: bool,
    take_lock: bool,
) -> int:
    """Compare manifests under PATHs with the live state and print the changes.

    Arguments that are not existing paths are deployment names (like --target).
    """
    from qcdeploy.cli.commands.planning import make_plan
    from qcdeploy.planning import safety
    from qcdeploy.planning.safety import Limits
    from qcdeploy.render import render

    approved = ("protected",) if allow_protected else ()
    if allow_protected and not out_file:
        raise ConfigError("--allow-protected on plan records an approval in a saved plan: give --out FILE too")
    if app.rollback_interrupted and out_file:  # a saved plan does not record it: apply would create the target
        raise ConfigError("--rollback-interrupted is not kept in a saved plan; run `apply --rollback-interrupted`")
    if take_lock:
        from qcdeploy.ledger.lock import held

        with held(app.backend(), "plan", 0, app.err, app.env):
            run = make_plan(app, args, targets, prune, replace_names, require_secrets=False)
    else:
        run = make_plan(app, args, targets, prune, replace_names, require_secrets=False)
    configured, closed, next_open = app.change_window()
    gate, missing, notes = app.promotion(run.plan, run.state)
    # an approval recorded with the saved plan (--allow-protected) is what apply of that plan will check with
    limits = Limits(allow_protected=allow_protected)
    refusals = safety.broken(run.plan, run.state, run.ledger.entries, limits) if run.plan.has_changes else []
    if closed and run.plan.has_changes:
        refusals.append(f"changes are not allowed ({closed}); next allowed: {next_open}")
    if missing:
        refusals.append(f"not yet promoted from {gate}: " + "; ".join(missing))
    # one verdict naming every gate that refuses, as apply without override flags would check them
    verdict = ("apply would be refused now: " + "; ".join(refusals),) if refusals else ()
    run = replace(run, plan=replace(run.plan, warnings=(*run.plan.warnings, *verdict, *notes)))
    if out_file:
        _save(app, run, out_file, approved)
    app.out(render(run.plan, fmt, app.style, app.settings.verbose, app.env, approved), nl=False)
    if configured and not refusals and run.plan.has_changes and fmt == "text":
        app.out("Change window: open now; apply is allowed.")
    if out_file and fmt == "text":
        if approved:
            app.out(f"\n{approval_line(run.plan)}")
        app.out(f"\nSaved the plan to {out_file}. To carry out exactly these actions: qcdeploy apply {out_file}")
    # an interrupted change is something to act on even where nothing else differs
    return 2 if detailed_exitcode and (run.plan.has_changes or run.plan.interrupted) else 0


def approval_line(plan: Plan) -> str:
    names = ", ".join(c.name for c in plan.changes if c.protected and c.stops) or "none in this plan"
    return f"Approved with this plan (--allow-protected): applying it may stop or replace protected ({names})."


def _save(app: App, run: PlanRun, out_file: str, approved: tuple[str, ...]) -> None:
    """Write the saved plan with its renderings (for `qcdeploy show`), paths relative to the repository root."""
    from qcdeploy.planning import savedplan as planfile
    from qcdeploy.render import render
    from qcdeploy.render.jsonplan import document

    rendered = {
        "text": render(run.plan, "text", approved=approved),
        "text-verbose": render(run.plan, "text", verbose=True, approved=approved),
        "markdown": render(run.plan, "markdown", environment=app.env, approved=approved),
    }
    if approved:
        rendered = {k: v + "\n" + approval_line(run.plan) + "\n" if k != "markdown" else v for k, v in rendered.items()}
    extras = planfile.Extras(app.env, approved, document(run.plan), rendered, repo_root())
    planfile.write(out_file, run.plan, run.state, run.ledger.entries, run.paths, run.options, extras)
