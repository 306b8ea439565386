"""A failed deployment's own account of why: the last lines of its log, kept on the change's result.

Read once, when a new deployment fails to come up or dies in its health window (before any rollback starts
another deployment). A failed read costs a note, never the change; every line is scrubbed of secrets here,
at the source, as well as where it is printed.
"""

from __future__ import annotations

from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Result
from qcdeploy.errors import QcdeployError
from qcdeploy.quantconnect import logs
from qcdeploy.redact import scrub

LOG_LINES = 20  # lines shown in the summary
EMPTY = "its log is empty so far (the API's log snapshot updates about every 5 minutes)"


def attach_logs(ctx: Context, r: Result, project_id: int, deploy_id: str) -> None:
    r.log_of = deploy_id
    try:
        r.logs = tuple(scrub(line) for line in logs.tail(ctx.api, project_id, deploy_id, LOG_LINES))
    except QcdeployError as exc:
        r.logs_note = f"its log could not be read: {exc}"
        return
    r.logs_note = "" if r.logs else EMPTY
