"""`qcdeploy show PLANFILE`: render a saved plan again, as `plan` showed it when it was made (terraform show)."""

from __future__ import annotations

import json

import click

from qcdeploy.cli.workspace import App
from qcdeploy.errors import ConfigError
from qcdeploy.render import FORMATS


@click.command()
@click.argument("plan_file", metavar="PLANFILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format.")
@click.pass_obj
def show(app: App, plan_file: str, fmt: str) -> int:
    """Show a plan saved by `plan --out`: what applying it would do. Reads no live state and no manifest."""
    from qcdeploy.planning import savedplan as planfile

    saved = planfile.read(plan_file, any_version=True)
    if fmt == "json":
        app.out(json.dumps(dict(saved.shown), indent=2, ensure_ascii=False))
        return 0
    key = "text-verbose" if fmt == "text" and app.settings.verbose else fmt
    text = saved.rendered.get(key)
    if text is None:
        raise ConfigError(f"{plan_file} holds no {fmt} rendering (made by an older qcdeploy); plan again to show it")
    if fmt == "text":
        app.out(f"Saved plan {plan_file}: {saved.about}\n")
    app.out(text, nl=False)
    return 0
