"""`qcdeploy schema [manifest|environment|plan]`: print a JSON Schema the program validates or writes with."""

from __future__ import annotations

import click

from qcdeploy.cli.workspace import App

KINDS = {
    "manifest": "qcdeploy-v1.schema.json",
    "environment": "qcdeploy-environment-v1.schema.json",
    "plan": "plan-v1.schema.json",
}


@click.command()
@click.argument("kind", type=click.Choice(list(KINDS)), default="manifest")
@click.pass_obj
def schema(app: App, kind: str) -> int:
    """Print a JSON Schema: the manifest's (default), the Environment overlay's, or `plan --format json`'s."""
    from qcdeploy.manifests.schema import schema_text

    app.out(schema_text(KINDS[kind]).rstrip("\n"))
    return 0
