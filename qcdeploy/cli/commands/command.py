"""`qcdeploy command NAME --data JSON`: send a command to a running deployment, recorded in the ledger's history."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App, check_names, split_args
from qcdeploy.errors import ConfigError


@click.command("command")
@click.argument("args", nargs=-1, required=True)
@click.option("--data", required=True, metavar="JSON", help='The command object, e.g. \'{"$type": "Drain"}\'.')
@env_option
@click.pass_obj
def command(app: App, args: tuple[str, ...], data: str) -> int:
    """Send a command to NAME's running deployment (live/commands/create; its OnCommand reads it).

    PATHs locate the manifests. The command, the deployment and the time go into the ledger's history.
    """
    from qcdeploy.ledger.lock import held

    paths, names = split_args(args)
    if len(names) != 1:
        raise ConfigError("command needs exactly one deployment name")
    payload = _payload(data)
    manifests = app.load(paths, require_secrets=False)
    check_names(names, manifests)
    with held(app.backend(), "command", 0, app.err, app.env):
        ledger = app.ledger()
        state, (desired,) = app.observe([m for m in manifests if m.name == names[0]])
        pid = desired.project.project_id
        dep = state.deployments.get(pid)
        if dep is None or not dep.active:
            raise ConfigError(f"{desired.name}: project {pid} has no running deployment; nothing was sent")
        app.api().live_command(pid, payload)
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {"event": "command", "at": at, "name": desired.name, "projectId": pid, "deployId": dep.deploy_id}
        ledger.note({**event, "command": payload})
    app.out(f"{desired.name}: command sent to {dep.deploy_id} (project {pid}); recorded in the ledger's history")
    return 0


def _payload(data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data, parse_constant=_no_constant)
    except ValueError as exc:
        raise ConfigError(f"--data is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ConfigError('--data must be a JSON object, e.g. \'{"$type": "Drain"}\'')
    return payload


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
