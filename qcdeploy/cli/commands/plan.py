"""`qcdeploy plan`: show what apply would change."""

from __future__ import annotations

from dataclasses import replace

import click

from qcdeploy.cli.commands.options import planning_options
from qcdeploy.cli.workspace import App
from qcdeploy.render import FORMATS


@click.command()
@planning_options
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan FILE`.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none, 1 on error.")
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
    take_lock: bool,
) -> int:
    """Compare manifests under PATHs with the live state and print the changes.

    Arguments that are not existing paths are deployment names (like --target).
    """
    from qcdeploy.cli.commands.planning import make_plan
    from qcdeploy.planning import savedplan as planfile
    from qcdeploy.render import render

    if take_lock:
        from qcdeploy.ledger.lock import held

        with held(app.backend(), "plan", 0, app.err, app.env):
            run = make_plan(app, args, targets, prune, replace_names, require_secrets=False)
    else:
        run = make_plan(app, args, targets, prune, replace_names, require_secrets=False)
    configured, closed, next_open = app.change_window()
    if configured and closed and run.plan.has_changes:
        warning = f"apply would be refused now: changes are not allowed ({closed}); next allowed: {next_open}"
        run = replace(run, plan=replace(run.plan, warnings=(*run.plan.warnings, warning)))
    gate, missing, notes = app.promotion(run.plan, run.state)
    if missing:
        warning = f"apply would be refused now: not yet promoted from {gate}: " + "; ".join(missing)
        run = replace(run, plan=replace(run.plan, warnings=(*run.plan.warnings, warning, *notes)))
    elif notes:
        run = replace(run, plan=replace(run.plan, warnings=(*run.plan.warnings, *notes)))
    if out_file:
        entries = run.ledger.entries
        from qcdeploy.render.jsonplan import document

        shown = document(run.plan)
        planfile.write(out_file, run.plan, run.state, entries, run.manifests, run.paths, run.options, app.env, shown)
    app.out(render(run.plan, fmt, app.style), nl=False)
    if configured and not closed and run.plan.has_changes and fmt == "text":
        app.out("Change window: open now; apply is allowed.")
    if out_file and fmt == "text":
        app.out(f"\nSaved the plan to {out_file}. To carry out exactly these actions: qcdeploy apply {out_file}")
    # an interrupted change is something to act on even where nothing else differs
    return 2 if detailed_exitcode and (run.plan.has_changes or run.plan.interrupted) else 0
