"""`qcdeploy validate`: offline checks of every manifest."""

from __future__ import annotations

import click

from qcdeploy.app import App
from qcdeploy.manifest import load


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_obj
def validate(app: App, paths: tuple[str, ...]) -> int:
    """Check manifests offline: YAML, schema, names, secrets. Exit 1 on any problem."""
    result = load(paths, app.environ)
    for problem in result.problems:
        app.err(str(problem))
    if result.problems:
        app.err(f"{len(result.problems)} problem(s) found.")
        return 1
    app.out(f"{len(result.manifests)} manifest(s) in {result.files} file(s) are valid.")
    return 0
