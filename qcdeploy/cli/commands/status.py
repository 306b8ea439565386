"""`qcdeploy status`: desired, observed and health of each deployment, in Argo CD's words."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App, check_names, split_args
from qcdeploy.planning.status import deployment_rows


@click.command()
@click.argument("args", nargs=-1)
@env_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--logs", "with_logs", is_flag=True, help="Also show the last lines of each deployment's log.")
@click.option("--log-lines", type=click.IntRange(1, 1000), default=20, show_default=True, help="Lines --logs shows.")
@click.pass_obj
def status(app: App, args: tuple[str, ...], fmt: str, with_logs: bool, log_lines: int) -> int:
    """Show each deployment: desired state, observed status, health, uptime, last error, and whether it is managed."""
    paths, names = split_args(args)
    loaded = app.load(paths, require_secrets=False)
    check_names(names, loaded)
    manifests = [m for m in loaded if not names or m.name in names]
    ledger = app.ledger()
    state, desired = app.observe(manifests)
    rows = deployment_rows(desired, state, ledger.entries, datetime.now(timezone.utc), ledger.journal)
    if with_logs:
        for row in rows:
            row["logs"] = _logs(app, row, log_lines)
    if fmt == "json":
        app.out(json.dumps({"format_version": "1.1", "deployments": rows}, indent=2))
        return 0
    _table(app, rows)
    for row in rows if with_logs else []:
        _show_logs(app, row)
    return 0


def _logs(app: App, row: dict[str, Any], lines: int) -> dict[str, Any] | None:
    """The deployment's last log lines, or why there are none; a failed read is a note, not a failed status."""
    from qcdeploy.errors import QcdeployError
    from qcdeploy.quantconnect.logs import tail

    if not row["deploy_id"]:
        return None
    try:
        found = tail(app.api(), row["project_id"], row["deploy_id"], lines)
    except QcdeployError as exc:
        return {"deployId": row["deploy_id"], "lines": [], "note": f"its log could not be read: {exc}"}
    return {"deployId": row["deploy_id"], "lines": found, "note": "" if found else "its log is empty so far"}


def _show_logs(app: App, row: dict[str, Any]) -> None:
    log = row.get("logs")
    if log is None:
        return
    app.out("")
    app.out(f"{row['name']} ({log['deployId']}): " + (log["note"] or f"last {len(log['lines'])} log lines"))
    for line in log["lines"]:
        app.out(f"  | {line}")


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
