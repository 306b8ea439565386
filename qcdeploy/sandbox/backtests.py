"""backtests/create and backtests/read, with statistics set per project (seed `backtest`, admin `backtest`).

API reference, Create Backtest: `{projectId, compileId, backtestName, parameters}` answers `{backtest:
BacktestResult}`; Read Backtest: `{projectId, backtestId}`. A backtest completes `delay` seconds after it was
created; its `statistics` are LEAN's names and strings ("Sharpe Ratio": "1.234", "Drawdown": "12.3%"), and
`backtestStart`/`backtestEnd` its period. lean-cli's `QCBacktest` is the model the answers must satisfy.
"""

from __future__ import annotations

import secrets
from typing import Any

from qcdeploy.sandbox.endpoints import Fail
from qcdeploy.sandbox.world import World, stamp

Body = dict[str, Any]
PASSING = {  # LEAN's statistics as the API formats them: what a project backtests to unless set otherwise
    "Total Orders": "42",
    "Average Win": "1.20%",
    "Average Loss": "-0.80%",
    "Compounding Annual Return": "14.100%",
    "Drawdown": "12.300%",
    "Net Profit": "30.200%",
    "Sharpe Ratio": "1.41",
    "Sortino Ratio": "1.9",
    "Probabilistic Sharpe Ratio": "61.2%",
    "Win Rate": "58%",
}
PERIOD = ("2020-01-01 00:00:00", "2025-12-31 00:00:00")


def backtests_create(world: World, body: Body) -> Body:
    pid, compile_id = _project(world, body), str(body.get("compileId") or "")
    c = world.compiles.get(compile_id)
    if c is None or c.projectId != pid or world.compile_state(c) != "BuildSuccess":
        raise Fail(f"Compile id {compile_id or '(missing)'} is not a successful build of project {pid}")
    if not str(body.get("backtestName") or ""):
        raise Fail("backtestName is required")
    setup = world.backtest_setup.get(pid, {})
    record = {
        "backtestId": secrets.token_hex(16),
        "projectId": pid,
        "compileId": compile_id,
        "name": str(body["backtestName"]),
        "created": world.clock(),
        "parameters": {str(k): str(v) for k, v in (body.get("parameters") or {}).items()},
        "statistics": dict(setup.get("statistics") or PASSING),
        "start": str(setup.get("start") or PERIOD[0]),
        "end": str(setup.get("end") or PERIOD[1]),
        "error": str(setup.get("error") or ""),
    }
    world.backtests.append(record)
    return {"backtest": _result(world, record), "debugging": False}


def backtests_read(world: World, body: Body) -> Body:
    pid, backtest_id = _project(world, body), str(body.get("backtestId") or "")
    record = next((b for b in world.backtests if b["backtestId"] == backtest_id and b["projectId"] == pid), None)
    if record is None:
        raise Fail(f"Backtest {backtest_id or '(missing)'} not found in project {pid}")
    return {"backtest": _result(world, record), "debugging": False}


def set_backtest(world: World, body: Body) -> Body:
    """Admin `backtest {projectId, statistics?, start?, end?, error?}`: what the project's next backtests show."""
    world.backtest_setup[int(body["projectId"])] = {
        k: body[k] for k in ("statistics", "start", "end", "error") if k in body
    }
    return {}


def _result(world: World, b: Body) -> Body:
    done = world.clock() >= b["created"] + world.delay
    failed = done and bool(b["error"])
    return {
        "backtestId": b["backtestId"],
        "projectId": b["projectId"],
        "name": b["name"],
        "note": None,
        "created": stamp(b["created"], iso=True),
        "status": ("Runtime Error" if failed else "Completed.") if done else "In Progress...",
        "completed": done,
        "progress": 1.0 if done else 0.5,
        "error": b["error"] if failed else None,
        "stacktrace": "  at OnData in main.py: line 42" if failed else None,
        "statistics": dict(b["statistics"]) if done and not failed else {},
        "runtimeStatistics": {"Equity": "$130,200.00"} if done else {},
        "backtestStart": b["start"],
        "backtestEnd": b["end"],
        "parameterSet": dict(b["parameters"]),
    }


def _project(world: World, body: Body) -> int:
    try:
        pid = int(body["projectId"])
    except (KeyError, TypeError, ValueError):
        raise Fail("projectId is required: an integer") from None
    if pid not in world.projects:
        raise Fail(f"Project {pid} not found")
    return pid
