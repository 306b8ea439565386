"""Plan -> the documented, versioned JSON format (modelled on `terraform show -json`)."""

from __future__ import annotations

import json
from typing import Any

from qcdeploy import __version__
from qcdeploy.model import Action, Change, LiveDeployment, Plan
from qcdeploy.planning.drainspec import before_stop, describe
from qcdeploy.planning.exposure import portfolio_plan
from qcdeploy.planning.fingerprint import SENSITIVE_KEY, display_fields, is_sensitive
from qcdeploy.redact import SENSITIVE
from qcdeploy.render import stake

# 1.1: exposure, paper_portfolio; 1.2: reason_codes; 1.3: backtest_gate, before_stop;
# 1.4: summary.replace_liquidating; 1.5: interrupted.
# Minor bumps only add fields; a major bump may change or remove
FORMAT_VERSION = "1.5"
ACTIONS = {
    Action.CREATE: ["create"],
    Action.REPLACE: ["delete", "create"],
    Action.STOP: ["delete"],
    Action.LIQUIDATE: ["delete"],
    Action.UPDATE: ["update"],
}
_COUNTED = (Action.CREATE, Action.REPLACE, Action.STOP, Action.LIQUIDATE, Action.UPDATE)


def render(plan: Plan) -> str:
    return json.dumps(document(plan), indent=2, ensure_ascii=False) + "\n"


def document(plan: Plan) -> dict[str, Any]:
    """The whole plan as plain JSON values; no secret value can be in it."""
    summary: dict[str, Any] = {a.value: plan.count(a) for a in _COUNTED}
    summary["replace_liquidating"] = sum(1 for c in plan.changes if c.action is Action.REPLACE and c.liquidate)
    summary["total"] = len(plan.changes)
    return {
        "format_version": FORMAT_VERSION,
        "qcdeploy_version": __version__,
        "has_changes": plan.has_changes,
        # as apply would see it without --allow-protected: a blocked change or a protected stop refuses it
        "applyable": plan.has_changes and not any(c.blocked or (c.protected and c.stops) for c in plan.changes),
        "changes": [change(c) for c in plan.changes],
        "unchanged": list(plan.unchanged),
        "unmanaged": [
            {
                **observed(u.deployment),
                "project_name": u.project_name,
                "manifest": u.name,
                "environment": u.environment or None,
            }
            for u in plan.unmanaged
        ],
        "orphaned": [{"name": o.entry.name, **observed(o.deployment)} for o in plan.orphaned],
        "warnings": list(plan.warnings),
        "interrupted": [
            {"name": i.name, "detail": i.detail, "flat": i.flat, "step": i.step, "at": i.at} for i in plan.interrupted
        ],
        "summary": summary,
    }


def change(c: Change) -> dict[str, Any]:
    before = c.entry.spec if c.entry is not None and c.stops else None
    after = display_fields(c.desired) if c.desired is not None and c.creates else None
    return {
        "name": c.name,
        "project_id": c.project_id,
        "action": c.action.value,
        "actions": ACTIONS[c.action],
        "reasons": [str(r) for r in c.reasons],
        "reason_codes": [r.why.value for r in c.reasons],
        "stop_mode": ("liquidate" if c.liquidate else "stop") if c.stops else None,
        "managed": c.managed,
        "protected": c.protected or (c.desired is not None and bool(c.desired.manifest.spec["protect"])),
        "blocked": c.blocked or None,
        "observed": observed(c.observed) if c.observed is not None else None,
        "change": {
            "before": masked(before),
            "after": masked(after),
            "before_sensitive": sensitive_paths(before),
            "after_sensitive": sensitive_paths(after),
            "changed_paths": [list(fc.path) for fc in c.field_changes],
        },
        "project_parameters": [
            {
                "key": fc.path[-1],
                "before": masked_value(fc.before, fc.sensitive),
                "after": masked_value(fc.after, fc.sensitive),
            }
            for fc in c.parameter_changes
        ],
        "exposure": stake.as_json(c.exposure) if c.exposure is not None else None,
        "paper_portfolio": portfolio_plan(c),
        "backtest_gate": (c.desired.gate_note or None) if c.desired is not None and c.creates else None,
        "before_stop": describe(drain) if c.stops and (drain := before_stop(c)) is not None else None,
    }


def masked_value(value: Any, sensitive: bool) -> Any:
    return "(sensitive)" if sensitive and value is not None else value


def observed(d: LiveDeployment) -> dict[str, Any]:
    return {
        "project_id": d.project_id,
        "deploy_id": d.deploy_id,
        "status": d.status,
        "launched": d.launched.strftime("%Y-%m-%dT%H:%M:%SZ") if d.launched else None,
        "error": d.error or None,
    }


def masked(value: Any) -> Any:
    """Every sensitive leaf becomes "(sensitive)"."""
    if is_sensitive(value):
        return SENSITIVE
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def sensitive_paths(value: Any, path: tuple[Any, ...] = ()) -> list[list[Any]]:
    if isinstance(value, dict):
        if set(value) == {SENSITIVE_KEY}:
            return [list(path)]
        return [p for k, v in value.items() for p in sensitive_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in sensitive_paths(v, (*path, i))]
    return []
