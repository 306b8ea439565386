"""`qcdeploy status`: desired, observed and health of each deployment, in Argo CD's words."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App, check_names, split_args

if TYPE_CHECKING:
    from qcdeploy.model import LiveDeployment


def health(desired_running: bool, dep: LiveDeployment | None) -> str:
    """Healthy (Running), Progressing (starting), Degraded (failed), Missing (none active), Suspended (stopped)."""
    from qcdeploy.model import ACTIVE_STATUSES, FAILED_STATUSES

    if not desired_running:
        return "Suspended" if dep is None or not dep.active else "Degraded"
    if dep is None or dep.status not in ACTIVE_STATUSES:
        return "Degraded" if dep is not None and dep.status in FAILED_STATUSES else "Missing"
    return "Healthy" if dep.status == "Running" else "Progressing"


def uptime(dep: LiveDeployment | None, now: datetime) -> str:
    if dep is None or not dep.active or dep.launched is None:
        return "-"
    seconds = int((now - dep.launched).total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    return f"{days}d{rest // 3600:02d}h{rest % 3600 // 60:02d}m"


@click.command()
@click.argument("args", nargs=-1)
@env_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def status(app: App, args: tuple[str, ...], fmt: str) -> int:
    """Show each deployment: desired state, observed status, health, uptime, last error, and whether it is managed."""
    paths, names = split_args(args)
    loaded = app.load(paths, require_secrets=False)
    check_names(names, loaded)
    manifests = [m for m in loaded if not names or m.name in names]
    ledger = app.ledger()
    state, desired = app.observe(manifests)
    now = datetime.now(timezone.utc)
    rows: list[dict[str, Any]] = []
    for d in sorted(desired, key=lambda d: d.name):
        dep = state.deployments.get(d.project.project_id)
        entry = ledger.entries.get(d.name)
        rows.append(
            {
                "name": d.name,
                "project_id": d.project.project_id,
                "desired": d.manifest.spec["state"],
                "observed": dep.status if dep else None,
                "health": health(d.manifest.running, dep),
                "managed": entry is not None and dep is not None and entry.deploy_id == dep.deploy_id,
                "deploy_id": dep.deploy_id if dep else None,
                "launched": dep.launched.strftime("%Y-%m-%dT%H:%M:%SZ") if dep and dep.launched else None,
                "uptime": uptime(dep, now),
                "last_error": (dep.error or None) if dep else None,
            }
        )
    if fmt == "json":
        app.out(json.dumps({"format_version": "1.0", "deployments": rows}, indent=2))
        return 0
    _table(app, rows)
    return 0


def _table(app: App, rows: list[dict[str, Any]]) -> None:
    header = ("NAME", "PROJECT", "DESIRED", "OBSERVED", "HEALTH", "MANAGED", "UPTIME", "DEPLOYMENT", "LAST ERROR")
    cells = [header] + [
        (
            r["name"],
            str(r["project_id"]),
            r["desired"],
            r["observed"] or "-",
            r["health"],
            "yes" if r["managed"] else "no",
            r["uptime"],
            r["deploy_id"] or "-",
            (r["last_error"] or "")[:60],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        app.out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
