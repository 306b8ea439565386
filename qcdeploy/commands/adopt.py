"""`qcdeploy adopt`: record running deployments as matching their manifests, without redeploying."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from qcdeploy.app import App, check_names, split_args
from qcdeploy.errors import ConfigError, Problem, ProblemsError


@click.command()
@click.argument("args", nargs=-1, required=True)
@click.pass_obj
def adopt(app: App, args: tuple[str, ...]) -> int:
    """Take over the running deployment of each NAME as it is (PATHs locate the manifests)."""
    from qcdeploy.fingerprint import recorded_fields
    from qcdeploy.model import LedgerEntry

    paths, names = split_args(args)
    if not names:
        raise ConfigError("adopt needs at least one deployment name")
    manifests = app.load(paths)
    check_names(names, manifests)
    ledger = app.ledger()
    state, desired = app.observe([m for m in manifests if m.name in names])
    problems = []
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
        compile_id = d.manifest.spec["compile"]
        ledger.put(
            LedgerEntry(
                name=d.name,
                project_id=d.project.project_id,
                deploy_id=dep.deploy_id,
                spec=recorded_fields(d, ledger.salt),
                compile_id=None if compile_id == "latest" else compile_id,
                project_modified=d.project.modified or None,
                applied_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                on_stop=d.manifest.spec["onStop"],
                protect=bool(d.manifest.spec["protect"]),
            )
        )
        app.out(f"{d.name}: adopted {dep.deploy_id} (project {d.project.project_id}, {dep.status})")
    if problems:
        raise ProblemsError(problems)
    return 0
