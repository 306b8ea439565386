"""`qcdeploy plan`: show what apply would change."""

from __future__ import annotations

import click

from qcdeploy.app import App
from qcdeploy.commands.options import planning_options


@click.command()
@planning_options
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when none, 1 on error.",
)
@click.pass_obj
def plan(
    app: App,
    args: tuple[str, ...],
    targets: tuple[str, ...],
    prune: bool,
    replace_names: tuple[str, ...],
    detailed_exitcode: bool,
) -> int:
    """Compare manifests under PATHs with the live state and print the changes.

    Arguments that are not existing paths are deployment names (like --target).
    """
    from qcdeploy.commands.planning import make_plan
    from qcdeploy.render.text import render

    result, _ = make_plan(app, args, targets, prune, replace_names)
    app.out(render(result, app.style), nl=False)
    return 2 if detailed_exitcode and result.has_changes else 0
