"""The endpoints behind issue 27's evidence (logs, LEAN versions, backtests), beside the core ones."""

from __future__ import annotations

from qcdeploy.sandbox.backtests import backtests_create, backtests_read
from qcdeploy.sandbox.endpoints import Handler
from qcdeploy.sandbox.logs import live_logs_read
from qcdeploy.sandbox.versions import lean_versions_read

EVIDENCE: dict[str, tuple[Handler, bool]] = {  # endpoint -> (handler, changes state)
    "live/logs/read": (live_logs_read, False),
    "lean/versions/read": (lean_versions_read, False),
    "backtests/create": (backtests_create, True),
    "backtests/read": (backtests_read, False),
}
