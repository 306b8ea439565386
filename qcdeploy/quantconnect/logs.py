"""The last lines a live deployment wrote to its log (live/logs/read), read a documented page at a time.

The API numbers log lines across all the project's live deployments: `length` counts them all and
`deploymentOffset` counts those before the given deployment, so the newest deployment's lines are
[deploymentOffset, length). One call (a single line) learns both, then the tail is read in pages of 250.
"""

from __future__ import annotations

from qcdeploy.errors import ApiError
from qcdeploy.quantconnect.endpoints import Api
from qcdeploy.quantconnect.transport import Json

PAGE = 250  # lines per call: endLine - startLine <= 250 (API reference)
MAX_LINES = 1000  # a tail longer than this is a log to read in the web IDE, not in a summary


def tail(api: Api, project_id: int, deploy_id: str, lines: int) -> list[str]:
    """The deployment's last `lines` log lines, oldest first; ApiError when the log cannot be read."""
    first = api.live_logs(project_id, deploy_id, 0, 1)
    length, offset = _count(first, "length"), _count(first, "deploymentOffset")
    start, end = tail_range(length, offset, min(lines, MAX_LINES))
    found: list[str] = []
    for page in range(start, end, PAGE):
        found += _lines(api.live_logs(project_id, deploy_id, page, min(page + PAGE, end)))
    return found[-lines:] if lines > 0 else []


def tail_range(length: int, offset: int, lines: int) -> tuple[int, int]:
    """[start, end) of the last `lines` lines of the deployment whose lines begin at `offset`."""
    end = max(length, 0)
    return max(min(offset, end), end - max(lines, 0), 0), end


def _count(answer: Json, key: str) -> int:
    value = answer.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ApiError(f"live/logs/read: unexpected answer ('{key}' is not a count)")
    return int(value)


def _lines(answer: Json) -> list[str]:
    logs = answer.get("logs")
    if logs is None:
        return []
    if not isinstance(logs, list):
        raise ApiError("live/logs/read: unexpected answer ('logs' is not a list)")
    return [str(line) for line in logs]
