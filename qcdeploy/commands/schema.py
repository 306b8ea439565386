"""`qcdeploy schema`: print the JSON Schema the program validates with."""

from __future__ import annotations

import click

from qcdeploy.app import App
from qcdeploy.schema import schema_text


@click.command()
@click.pass_obj
def schema(app: App) -> int:
    """Print the manifest JSON Schema (for editors and other tools)."""
    app.out(schema_text().rstrip("\n"))
    return 0
