"""The read-only status board of `watch --listen`: one server-rendered HTML page that refreshes itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

COLUMNS = (
    ("environment", "Environment"),
    ("name", "Deployment"),
    ("project_id", "Project"),
    ("node", "Node"),
    ("observed", "Status"),
    ("health", "Health"),
    ("launched", "Since"),
    ("at_stake", "At stake"),
    ("restarts", "Heals"),
    ("last_change", "Last change"),
)
_COLOURS = {"Healthy": "#1a7f37", "Progressing": "#9a6700", "Degraded": "#cf222e", "Missing": "#cf222e"}


def page(rows: Sequence[Mapping[str, Any]], last_pass: str, problem: str, refresh: int) -> str:
    """Every value escaped: names and error texts come from manifests and the API."""
    head = "".join(f"<th>{escape(title)}</th>" for _, title in COLUMNS)
    body = "".join(_row(r) for r in rows) or f'<tr><td colspan="{len(COLUMNS)}">No deployments.</td></tr>'
    alert = f'<p class="problem">Last pass failed: {escape(problem)}</p>' if problem else ""
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="refresh" content="{max(refresh, 1)}">'
        "<title>qcdeploy fleet</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.problem{color:#cf222e}"
        "</style></head><body><h1>qcdeploy fleet</h1>"
        f'<p>Last pass: <span id="last-pass">{escape(last_pass or "not yet")}</span></p>{alert}'
        f'<table id="fleet"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>\n'
    )


def _row(r: Mapping[str, Any]) -> str:
    cells = []
    for key, _ in COLUMNS:
        value = r.get(key)
        text = escape("-" if value is None or value == "" else str(value))
        colour = _COLOURS.get(str(value)) if key == "health" else None
        style = f' style="color:{colour}"' if colour else ""
        cells.append(f'<td class="{key}"{style}>{text}</td>')
    return f'<tr data-deployment="{escape(str(r.get("name", "")))}">{"".join(cells)}</tr>'
