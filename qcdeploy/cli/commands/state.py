"""`qcdeploy state show` and `qcdeploy state migrate --to URL`."""

from __future__ import annotations

import json

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App


@click.group()
def state() -> None:
    """Read the ledger, or copy it to another backend."""


@state.command()
@env_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def show(app: App, fmt: str) -> int:
    """Print the ledger (nothing in it is secret: secrets are salted scrypt hashes)."""
    ledger = app.ledger()
    if fmt == "json":
        app.out(json.dumps(ledger.to_json(), indent=2))
        return 0
    app.out(f"Ledger at {app.backend().describe()}: {len(ledger.entries)} deployment(s), serial {ledger.serial}")
    app.out(f"  (chosen {app.settings.state_source}{_environment(app)})")
    for e in sorted(ledger.entries.values(), key=lambda e: e.name):
        flags = ", protected" if e.protect else ""
        app.out(
            f"  {e.name}: project {e.project_id}, {e.deploy_id}, compile {e.compile_id or 'unknown'}, "
            f"onStop {e.on_stop}{flags}, applied {e.applied_at or '?'}"
        )
    return 0


def _environment(app: App) -> str:
    return f"; environment {app.env}'s own ledger" if app.env else ""


@state.command()
@env_option
@click.option("--to", "target", required=True, metavar="URL", help="file:PATH, git:[REMOTE][#BRANCH] or https://…")
@click.option("--force", is_flag=True, help="Overwrite a ledger that already exists at the target.")
@click.pass_obj
def migrate(app: App, target: str, force: bool) -> int:
    """Copy the ledger to another backend and verify the copy; the source is left as it was."""
    from qcdeploy.errors import QcdeployError
    from qcdeploy.ledger.backends import open_backend
    from qcdeploy.ledger.lock import held
    from qcdeploy.planning.savedplan import sha256

    source, destination = app.backend(), open_backend(target)
    with held(source, "state migrate", 0, app.err, app.env), held(destination, "state migrate", 0, app.err):
        doc = source.read()
        if doc is None:
            raise QcdeployError(f"there is no ledger at {source.describe()} to migrate")
        existing = destination.read()
        if existing is not None and existing.get("deployments") and not force:
            raise QcdeployError(f"{destination.describe()} already holds a ledger; --force to overwrite it")
        destination.update(lambda _: doc, f"qcdeploy: migrate the ledger from {source.describe()}")
        copy = destination.read()
        if copy is None or sha256(copy) != sha256(doc):
            raise QcdeployError(f"the copy at {destination.describe()} does not match the source; nothing was switched")
    app.out(
        f"Copied {len(doc.get('deployments', {}))} deployment(s) from {source.describe()} to {destination.describe()} "
        f"(verified, {sha256(doc)[:19]}…). Point QCDEPLOY_STATE or .qcdeploy.yaml at {target} to use it."
    )
    return 0
