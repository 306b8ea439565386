"""`qcdeploy drift`: a read-only check for a scheduled CI job."""

from __future__ import annotations

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App


@click.command()
@click.argument("args", nargs=-1)
@env_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--ignore-unmanaged", is_flag=True, help="Do not count deployments qcdeploy did not start.")
@click.pass_obj
def drift(app: App, args: tuple[str, ...], fmt: str, ignore_unmanaged: bool) -> int:
    """Exit 0 when the live fleet matches the manifests, 2 when it does not, 1 on error. Changes nothing.

    Where the manifests define environments and no --env is given, every environment is checked.
    """
    from dataclasses import replace

    from qcdeploy.cli.commands.planning import make_plan
    from qcdeploy.cli.workspace import split_args
    from qcdeploy.manifests.load import load
    from qcdeploy.planning.drift import findings
    from qcdeploy.render import driftreport

    every: list[str | None] = list(load(split_args(args)[0], app.environ, None, True, False).environments)
    names: list[str | None] = [None] if app.env or not every else every
    found = []
    for name in names:
        here = app if name is None else App(app.settings, app.environ, env=name)
        run = make_plan(here, args, (), False, (), require_secrets=False)
        # a finding with no manifest name (a deployment no manifest claims) belongs to no environment
        found += [
            replace(f, environment=(name or app.env or "") if f.name else "")
            for f in findings(run.plan, run.ledger.entries, include_unmanaged=not ignore_unmanaged)
        ]
    render = {"text": driftreport.text, "markdown": driftreport.markdown, "json": driftreport.as_json}[fmt]
    app.out(render(found), nl=False)
    return 2 if found else 0
