"""`qcdeploy adopt`: record running deployments as matching their manifests, without redeploying."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App, check_names, split_args
from qcdeploy.errors import ConfigError, ProblemsError

if TYPE_CHECKING:
    from qcdeploy.manifests.load import Manifest


@click.command()
@click.argument("args", nargs=-1, required=True)
@click.option("--force", is_flag=True, help="Record it even where what the API reports differs from the manifest.")
@env_option
@click.pass_obj
def adopt(app: App, args: tuple[str, ...], force: bool) -> int:
    """Take over the running deployment of each NAME as it is (PATHs locate the manifests).

    What the API can tell (node, brokerage module, data providers, project parameters) must match the manifest.
    """
    paths, names = split_args(args)
    if not names:
        raise ConfigError("adopt needs at least one deployment name")
    manifests = app.load(paths)
    check_names(names, manifests)
    return adopt_manifests(app, [m for m in manifests if m.name in names], force)


def adopt_manifests(app: App, manifests: list[Manifest], force: bool = False) -> int:
    """Record each manifest's active deployment as matching it, under the ledger's lock."""
    from qcdeploy.ledger.lock import held

    with held(app.backend(), "adopt", 0, app.err, app.env):
        return _adopt(app, manifests, force)


def _adopt(app: App, manifests: list[Manifest], force: bool) -> int:
    from qcdeploy.planning.adoption import adopt as decide

    ledger = app.ledger()
    state, desired = app.observe(manifests)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    adoption = decide(desired, state, ledger.entries, ledger.salt, stamp, force)
    for line in adoption.forced:
        app.err(line)
    if adoption.entries:
        ledger.put_all(list(adoption.entries), f"qcdeploy: adopt {', '.join(e.name for e in adoption.entries)}")
    for e in adoption.entries:
        app.out(f"{e.name}: adopted {e.deploy_id} (project {e.project_id})")
    if adoption.refused:
        raise ProblemsError(list(adoption.refused))
    return 0
