"""`qcdeploy adopt`: record running deployments as matching their manifests, without redeploying."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App, check_names, split_args
from qcdeploy.errors import ConfigError, Problem, ProblemsError

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
    from qcdeploy.model import LedgerEntry
    from qcdeploy.planning.adoption import differences
    from qcdeploy.planning.fingerprint import recorded_fields

    ledger = app.ledger()
    state, desired = app.observe(manifests)
    problems, entries = [], []
    for d in desired:
        dep = state.deployments.get(d.project.project_id)
        if dep is None or not dep.active:
            status = dep.status if dep else "never deployed"
            problems.append(
                Problem(
                    f"{d.name}: project {d.project.project_id} has no active deployment to adopt ({status})",
                    d.manifest.where(),
                )
            )
            continue
        found = differences(d, dep, state)
        if found and not force:
            problems.append(
                Problem(
                    f"{d.name}: not adopted, the running deployment differs from the manifest: {'; '.join(found)} "
                    "(change the manifest, or --force to record it anyway)",
                    d.manifest.where(),
                )
            )
            continue
        if found:
            app.err(f"{d.name}: adopted despite: {'; '.join(found)} (--force)")
        compile_id = d.manifest.spec["compile"]
        known = ledger.entries.get(d.name)
        same = known is not None and known.deploy_id == dep.deploy_id  # re-adopting: keep what we knew
        entries.append(
            LedgerEntry(
                name=d.name,
                project_id=d.project.project_id,
                deploy_id=dep.deploy_id,
                spec=recorded_fields(d, ledger.salt),
                compile_id=known.compile_id if same and known else (None if compile_id == "latest" else compile_id),
                project_modified=known.project_modified if same and known else d.project.modified or None,
                applied_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                on_stop=d.manifest.spec["onStop"],
                protect=bool(d.manifest.spec["protect"]),
                refs=d.manifest.references(),  # so that a failed replace of it can roll back
                salt=ledger.salt,
            )
        )
    if entries:
        ledger.put_all(entries, f"qcdeploy: adopt {', '.join(e.name for e in entries)}")
    for e in entries:
        app.out(f"{e.name}: adopted {e.deploy_id} (project {e.project_id})")
    if problems:
        raise ProblemsError(problems)
    return 0
