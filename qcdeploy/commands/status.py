"""`qcdeploy status`: desired, observed and health of each managed deployment."""

from __future__ import annotations

import click

from qcdeploy.app import App, split_args
from qcdeploy.model import ACTIVE_STATUSES, FAILED_STATUSES, LiveDeployment


def health(desired_running: bool, dep: LiveDeployment | None) -> str:
    """Argo CD's words: Healthy, Progressing, Degraded, Missing, Suspended."""
    if not desired_running:
        return "Suspended" if dep is None or not dep.active else "Degraded"
    if dep is None or dep.status not in ACTIVE_STATUSES:
        return "Degraded" if dep is not None and dep.status in FAILED_STATUSES else "Missing"
    return "Healthy" if dep.status == "Running" else "Progressing"


@click.command()
@click.argument("args", nargs=-1)
@click.pass_obj
def status(app: App, args: tuple[str, ...]) -> int:
    """Show each deployment: desired state, observed status, health, and whether qcdeploy manages it."""
    paths, names = split_args(args)
    manifests = [m for m in app.load(paths) if not names or m.name in names]
    ledger = app.ledger()
    state, desired = app.observe(manifests)
    rows = [("NAME", "PROJECT", "DESIRED", "OBSERVED", "HEALTH", "MANAGED", "DEPLOYMENT", "LAST ERROR")]
    for d in sorted(desired, key=lambda d: d.name):
        dep = state.deployments.get(d.project.project_id)
        entry = ledger.entries.get(d.name)
        managed = "yes" if entry is not None and dep is not None and entry.deploy_id == dep.deploy_id else "no"
        rows.append(
            (
                d.name,
                str(d.project.project_id),
                d.manifest.spec["state"],
                dep.status if dep else "-",
                health(d.manifest.running, dep),
                managed,
                dep.deploy_id if dep else "-",
                (dep.error if dep and dep.failed else "")[:60],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        app.out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0
