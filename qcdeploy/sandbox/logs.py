"""live/logs/read: the lines a project's live deployments wrote, numbered across all of them.

API reference, Live Management > Read Live Algorithm > Logs: `{format, projectId, algorithmId, startLine
(inclusive, from 0), endLine (exclusive, endLine - startLine <= 250), deploymentLogs?}` answers `{logs, length
(rows across all the project's live deployments), deploymentOffset (rows before the given deployment)}`.
"""

from __future__ import annotations

from typing import Any

from qcdeploy.sandbox.endpoints import Fail
from qcdeploy.sandbox.world import Deployment, World

Body = dict[str, Any]
MAX_LINES = 250  # per call, as documented


def live_logs_read(world: World, body: Body) -> Body:
    pid, deploy_id = _int(body, "projectId"), str(body.get("algorithmId") or "")
    start, end = _int(body, "startLine"), _int(body, "endLine")
    if start < 0 or end < start or end - start > MAX_LINES:
        raise Fail(f"startLine and endLine must be 0 <= startLine <= endLine, endLine - startLine <= {MAX_LINES}")
    mine = sorted((d for d in world.deployments if d.projectId == pid), key=lambda d: d.launched)
    target = next((d for d in mine if d.deployId == deploy_id), None)
    if target is None:
        raise Fail(f"No live algorithm {deploy_id or '(algorithmId missing)'} found for project {pid}")
    rows = [(d, line) for d in mine for line in d.logs]
    offset = sum(len(d.logs) for d in mine[: mine.index(target)])
    page = rows[start:end]
    return {
        "logs": [line for d, line in page if not body.get("deploymentLogs") or _same(d, target)],
        "length": len(rows),
        "deploymentOffset": offset,
    }


def _same(a: Deployment, b: Deployment) -> bool:
    return a.deployId == b.deployId


def _int(body: Body, key: str) -> int:
    try:
        return int(body[key])
    except (KeyError, TypeError, ValueError):
        raise Fail(f"{key} is required: an integer") from None
