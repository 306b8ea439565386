"""Apply's closing summary, as text or JSON: FLAT strategies first, then what was done, rolled back, failed."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.model import Action, command

Styler = Callable[[str, str], str]

_LABELS = {
    Outcome.DONE: ("  done   ", "green"),
    Outcome.ROLLED_BACK: ("  ROLLED BACK", "yellow"),
    Outcome.FAILED: ("  FAILED ", "red"),
    Outcome.NOT_ATTEMPTED: ("  skipped", "yellow"),
}


def text(results: Sequence[Result], interrupted: bool, style: Styler, environment: str) -> str:
    """The summary a person reads; a strategy left without a running deployment opens it, in red."""
    lines = [""]
    lines += [style(f"FLAT {r.change.name}: {r.flat}", "red") for r in results if r.flat]
    counts = {o: sum(1 for r in results if r.outcome is o) for o in Outcome}
    head = "Apply interrupted" if interrupted else "Apply finished"
    lines.append(
        f"{head}: {counts[Outcome.DONE]} done, {counts[Outcome.ROLLED_BACK]} rolled back, "
        f"{counts[Outcome.FAILED]} failed, {counts[Outcome.NOT_ATTEMPTED]} not attempted."
    )
    for outcome in Outcome:
        label, colour = _LABELS[outcome]
        for r in (r for r in results if r.outcome is outcome):
            lines.append(_line(r, style(label, colour) if outcome is not Outcome.DONE else label))
            lines += [f"      before the stop: {r.drained}"] if r.drained else []
            lines += [f"      liquidated first: {_liquidated(r)} (onReplace: liquidate)"] if _liquidated(r) else []
            lines += _log_lines(r)
    unfinished = [r for r in results if r.outcome is not Outcome.DONE]
    if any(not r.lasting for r in unfinished):
        lines.append(f"Run `{command('apply', environment)}` again to finish; what was done is recorded in the ledger.")
    elif unfinished:
        lines.append("Fix the causes above (a re-run alone would fail the same way), then apply again.")
    return "\n".join(lines) + "\n"


def _line(r: Result, label: str) -> str:
    if r.outcome is Outcome.ROLLED_BACK:  # "ROLLED BACK alpha to <compile>: new deployment failed: <reason>"
        return f"{label} {r.change.name} {r.detail}"
    detail = r.detail or (r.change.action.value if r.outcome is Outcome.DONE else "")
    return f"{label} {r.change.action.symbol} {r.change.name}" + (f": {detail}" if detail else "")


def _liquidated(r: Result) -> str:
    """The deployment a replace liquidated before its new one started (its book sold), or ""."""
    c = r.change
    if c.action is not Action.REPLACE or not c.liquidate or not r.stopped or c.observed is None:
        return ""
    return c.observed.deploy_id


def _log_lines(r: Result) -> list[str]:
    """The failed deployment's last log lines under its line: the algorithm's own why."""
    if not r.log_of:
        return []
    if not r.logs:
        return [f"      log of {r.log_of}: {r.logs_note}"]
    return [f"      last {len(r.logs)} lines of {r.log_of}'s log:"] + [f"      | {line}" for line in r.logs]


def as_json(results: Sequence[Result], interrupted: bool) -> str:
    """The same summary for scripts: `flat` lists every strategy left without a running deployment."""
    doc: dict[str, Any] = {
        "interrupted": interrupted,
        "flat": [{"name": r.change.name, "why": r.flat} for r in results if r.flat],
        "results": [
            {
                "name": r.change.name,
                "action": r.change.action.value,
                "outcome": r.outcome.value,
                "detail": r.detail,
                "deployId": r.deploy_id,
                "flat": bool(r.flat),
                **({"beforeStop": r.drained} if r.drained else {}),
                **({"liquidated": _liquidated(r)} if _liquidated(r) else {}),
                **({"log": {"deployId": r.log_of, "lines": list(r.logs), "note": r.logs_note}} if r.log_of else {}),
            }
            for r in results
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
