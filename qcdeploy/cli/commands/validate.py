"""`qcdeploy validate`: offline checks of every manifest."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App
from qcdeploy.errors import Location, Problem, QcdeployError
from qcdeploy.render import problems as formats  # light: json only

if TYPE_CHECKING:
    from qcdeploy.manifests.environments import Environment


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
    result.problems += _window_problems(result.every_environment, app.env)
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


def _window_problems(environments: Mapping[str, Environment], env: str | None) -> list[Problem]:
    """The change windows and freezes of .qcdeploy.yaml and of each environment checked, each bad entry at its
    file:line:col: a typo there would otherwise surface only when a plan reads them."""
    from qcdeploy.cli.workspace import settings_locator
    from qcdeploy.manifests.repofile import repo_settings
    from qcdeploy.planning.windows import problems as window_problems

    try:
        path, raw = repo_settings()
    except QcdeployError as exc:
        return [_located(str(exc))]
    found = [_located(p) for p in window_problems([(settings_locator(path), raw)])]
    for name, environment in sorted(environments.items()):
        if env is None or name == env:
            found += [
                _located(f"{p} (environment {name})")
                for p in window_problems([(_spec_locator(environment), environment.spec)])
            ]
    return found


def _spec_locator(environment: Environment) -> Callable[[tuple[str | int, ...]], str]:
    return lambda keys: str(environment.doc.where(("spec", *keys)))


def _located(message: str) -> Problem:
    """`file:line:col: text` as a Problem at that place (so it is an annotation on GitHub too)."""
    match = re.match(r"^(.+?):(\d+):(\d+): (.*)$", message, re.DOTALL)
    if match is None:
        return Problem(message)
    return Problem(match[4], Location(match[1], int(match[2]), int(match[3])))
