"""`qcdeploy validate`: offline checks of every manifest."""

from __future__ import annotations

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App
from qcdeploy.render import problems as formats  # light: json only


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats.FORMATS),
    help="text (file:line:col: message), github (annotations; the default when GITHUB_ACTIONS=true) or json.",
)
@env_option
@click.pass_obj
def validate(app: App, paths: tuple[str, ...], fmt: str | None) -> int:
    """Check manifests offline: YAML, schema, names, secrets. Exit 1 on any problem."""
    from qcdeploy.manifests.load import load, short_secrets, unset_secrets

    fmt = fmt or ("github" if app.environ.get("GITHUB_ACTIONS") == "true" else "text")
    result = load(paths, app.environ, app.env, every_environment=app.env is None, require_secrets=False)
    if app.settings.verbose:
        for skipped in result.skipped:
            app.err(f"skipped {skipped}")
    if fmt == "json":
        app.out(formats.as_json(result.problems, len(result.manifests), result.files), nl=False)
        return 1 if result.problems else 0
    if result.problems:
        if fmt == "github":
            app.out(formats.github(result.problems), nl=False)
        else:
            app.err(formats.text(result.problems).rstrip("\n"))
        app.err(f"{len(result.problems)} problem(s) found.")
        return 1
    warnings = short_secrets(result.manifests, app.environ) + unset_secrets(result.manifests, app.environ)
    if fmt == "github":  # annotations on the pull request's files, as the errors are
        app.out(formats.github(warnings, "warning"), nl=False)
    for warning in warnings:
        app.err(f"warning: {warning}")
    envs = f" across environments {', '.join(result.environments)}" if result.environments and not app.env else ""
    app.out(f"{len(result.manifests)} manifest(s) in {result.files} file(s) are valid{envs}.")
    return 0
