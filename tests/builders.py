"""Values for unit tests: manifests resolved against a live state, deployments, ledger entries. No HTTP."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from qcdeploy.errors import Location
from qcdeploy.manifests.load import DEFAULTS, Manifest
from qcdeploy.manifests.yamlsrc import Document
from qcdeploy.model import (
    Action,
    Change,
    Create,
    Desired,
    LedgerEntry,
    LiveDeployment,
    LiveState,
    Node,
    Project,
    Reason,
    Replace,
    Stop,
    Update,
    Why,
)
from qcdeploy.planning.fingerprint import recorded_fields

SALT = "00" * 16
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 2, tzinfo=timezone.utc)
N1, N2 = Node("LN-1", "n1"), Node("LN-2", "n2")


def desired(name="m", pid=1, node=N1, modified=T0, sensitive=(), **spec):
    full = {**DEFAULTS, "project": pid, "node": node.id, "brokerage": {"id": "QuantConnectBrokerage"}, **spec}
    written = copy.deepcopy(full)  # the document as written: each secret as the reference it came from
    for path in sensitive:
        *parents, leaf = path
        parent = written
        for part in parents:
            parent = parent[part]
        parent[leaf] = "${env:" + str(leaf).upper() + "}"
    doc = Document(f"{name}.yaml", 0, {"spec": written}, {(): Location(f"{name}.yaml", 1, 1)})
    m = Manifest(name, full, frozenset(sensitive), {}, doc)
    return Desired(m, Project(pid, f"P{pid}", modified.strftime("%Y-%m-%d %H:%M:%S"), modified), node)


def live(pid=1, deploy="L-1", status="Running", error=""):
    return LiveDeployment(pid, deploy, status, T0, None, error)


def state(*deps, nodes=(N1, N2)):
    return LiveState({d.project_id: d for d in deps}, {}, tuple(nodes))


def entry(d, deploy="L-1", modified=T0, **kw):
    fields = {
        "name": d.name,
        "project_id": d.project.project_id,
        "deploy_id": deploy,
        "spec": recorded_fields(d, SALT),
        "compile_id": "c-1",
        "project_modified": modified.strftime("%Y-%m-%d %H:%M:%S"),
        "applied_at": "",
        **kw,
    }
    return LedgerEntry(**fields)


KINDS = {
    Action.CREATE: Create,
    Action.REPLACE: Replace,
    Action.STOP: Stop,
    Action.LIQUIDATE: Stop,
    Action.UPDATE: Update,
}


def change(action: Action, name: str = "m", why: str = "x", **kw: Any) -> Change:
    """A change of the kind the action names, with what that kind needs filled in unless given."""
    kw.setdefault("reasons", (Reason(Why.FIELD_CHANGED, why),))
    if action in (Action.CREATE, Action.REPLACE, Action.UPDATE):
        kw.setdefault("desired", desired(name))
    if action in (Action.REPLACE, Action.STOP, Action.LIQUIDATE):
        kw.setdefault("observed", live())
    if action is Action.UPDATE:
        kw.setdefault("entry", entry(kw["desired"]))
    if action is Action.LIQUIDATE:
        kw["liquidate"] = True
    made: Change = KINDS[action](name=name, **kw)  # KINDS' values are types of different signatures
    return made
