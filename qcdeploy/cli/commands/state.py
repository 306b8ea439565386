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
    """Print the ledger and its history (nothing in it is secret: secrets are salted scrypt hashes)."""
    app.need_env("state show")
    ledger = app.ledger()
    raw = app.backend().read() or {}
    kept = raw.get("history")
    history: list[dict[str, object]] = [e for e in kept if isinstance(e, dict)] if isinstance(kept, list) else []
    if fmt == "json":
        app.out(json.dumps({**ledger.to_json(), "history": history}, indent=2))
        return 0
    app.out(f"Ledger at {app.backend().describe()}: {len(ledger.entries)} deployment(s), serial {ledger.serial}")
    app.out(f"  (chosen {app.settings.state_source}{_environment(app)})")
    for e in sorted(ledger.entries.values(), key=lambda e: e.name):
        flags = ", protected" if e.protect else ""
        app.out(
            f"  {e.name}: project {e.project_id}, {e.deploy_id}, compile {e.compile_id or 'unknown'}, "
            f"onStop {e.on_stop}{flags}, applied {e.applied_at or '?'}"
        )
    if history:
        app.out(f"History ({len(history)} event(s), newest last):")
    for event in history:
        details = ", ".join(f"{k}: {v}" for k, v in event.items() if k not in ("at", "event"))
        app.out(f"  {event.get('at', '?')} {event.get('event', '?')}" + (f" ({details})" if details else ""))
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
    from qcdeploy.manifests.environments import state_url
    from qcdeploy.planning.savedplan import sha256

    app.need_env("state migrate --to URL")
    environment = app.environment
    # an environment without a state of its own lives at the base location plus its name: moving the base moves it
    derived = environment is not None and not environment.state
    url = state_url(target, environment) if environment is not None and derived else target
    source, destination = app.backend(), open_backend(url)
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
    copied = (
        f"Copied {len(doc.get('deployments', {}))} deployment(s) from {source.describe()} to {destination.describe()}"
    )
    app.out(f"{copied} (verified, {sha256(doc)[:19]}…).")
    if environment is None:
        app.out(f"Point QCDEPLOY_STATE or .qcdeploy.yaml at {target} to use it.")
    elif derived:
        others = [n for n in sorted(app.every_environment) if n != environment.name]
        rest = "".join(f" qcdeploy state migrate --env {n} --to {target};" for n in others)
        app.out(
            f"Environment {environment.name}'s ledger lives at the base location plus its name: migrate every "
            f"environment first ({rest.strip(' ;') or 'none left'}), then point QCDEPLOY_STATE or .qcdeploy.yaml at "
            f"{target} (the base location, not {url})."
        )
    else:
        app.out(f"Set spec.state in {environment.doc.file} (environment {environment.name}) to {target} to use it.")
    return 0
