"""Backtest gate step: the exact compile about to go live, backtested with the manifest's parameters first.

Runs after the compile and preflight, before any stop (`docs/design.md`). A threshold that fails refuses the
change as a build error does: nothing stopped, the numbers shown against the thresholds. A pass is recorded in
the ledger against the project, compile (and its files' hash) and parameters; the same ones are not run again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Interrupted, Result, StepFailed
from qcdeploy.errors import LedgerError
from qcdeploy.planning import backtestgate as gate


def gated(r: Result) -> bool:
    d = r.change.desired
    return d is not None and bool((d.manifest.spec.get("gates") or {}).get("backtest") is not None)


def backtest_step(ctx: Context, r: Result) -> None:
    d = r.change.desired
    assert d is not None and r.compile_id is not None and r.body is not None
    pid, thresholds = d.project.project_id, d.manifest.spec["gates"]["backtest"]
    parameters = dict(r.body["parameters"])
    params = gate.parameters_hash(parameters)
    record = gate.passed_before(ctx.ledger.backtests, pid, r.compile_id, r.code_hash, params)
    fresh = record is None
    if record is None:
        record = _run(ctx, r, pid, parameters) | {"codeHash": r.code_hash, "parameters": params}
    found = gate.checks(thresholds, record.get("statistics") or {}, record.get("start", ""), record.get("end", ""))
    shown = ", ".join(map(str, found)) or "no thresholds"
    if not all(c.ok for c in found):
        raise StepFailed(
            f"backtest gate failed (backtest {record['backtestId']} of compile {r.compile_id}): {shown}; nothing "
            "was stopped",
            lasting=True,
        )
    ctx.log(r.change.name, f"backtest gate passed (backtest {record['backtestId']}): {shown}")
    if fresh:
        _record(ctx, r, record)


def _run(ctx: Context, r: Result, pid: int, parameters: dict[str, str]) -> dict[str, Any]:
    assert r.compile_id is not None
    name = f"qcdeploy gate: {r.change.name} {r.compile_id[:8]}"
    created = ctx.api.backtest_create(pid, r.compile_id, name, parameters).get("backtest") or {}
    backtest_id = str(created.get("backtestId") or "")
    if not backtest_id:
        raise StepFailed("backtests/create returned no backtestId; nothing was stopped")
    ctx.log(r.change.name, f"backtesting compile {r.compile_id} ({backtest_id})")
    answer, finished = ctx.poller.until(
        lambda: ctx.api.backtest_read(pid, backtest_id).get("backtest") or {},
        _complete,
        ctx.timeout,
        ctx.progress(r, f"backtest {backtest_id}"),
        first=0.25,
    )
    if not finished and ctx.poller.cancel.is_set():
        raise Interrupted(f"interrupted while backtesting ({backtest_id}); nothing was stopped")
    if not finished:
        raise StepFailed(f"backtest {backtest_id} did not finish within {ctx.timeout:g}s; nothing was stopped")
    if answer.get("error"):
        raise StepFailed(f"backtest {backtest_id} failed: {answer['error']}; nothing was stopped", lasting=True)
    return {
        "projectId": pid,
        "compileId": r.compile_id,
        "backtestId": backtest_id,
        "statistics": {str(k): str(v) for k, v in (answer.get("statistics") or {}).items()},
        "start": str(answer.get("backtestStart") or ""),
        "end": str(answer.get("backtestEnd") or ""),
    }


def _complete(answer: dict[str, Any]) -> bool:
    """As the lean CLI's QCBacktest.is_complete: an error, or completed with statistics as an object."""
    return bool(answer.get("error")) or (bool(answer.get("completed")) and isinstance(answer.get("statistics"), dict))


def _record(ctx: Context, r: Result, record: Mapping[str, Any]) -> None:
    key = f"{record['projectId']}:{record['compileId']}:{record['parameters']}"
    try:
        ctx.ledger.record_backtest(key, {**record, "passedAt": ctx.stamp(), "name": r.change.name})
    except LedgerError as exc:  # the gate passed; only the saving of a re-run failed
        ctx.log(r.change.name, f"backtest pass not recorded ({exc}); the next apply runs it again")
