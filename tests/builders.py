"""Values for unit tests: manifests resolved against a live state, deployments, ledger entries. No HTTP."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from qcdeploy.apply.context import ApplyOptions, Context
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import ApiError, LedgerError, Location
from qcdeploy.manifests.load import DEFAULTS, Manifest
from qcdeploy.manifests.yamlsrc import Document
from qcdeploy.model import (
    ACTIVE_STATUSES,
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


class FakeApi:
    """The API as apply's steps call it, no HTTP: each project's deployments (newest last) and parameters, and every
    call in order in `calls`. `refuse[endpoint]` holds errors raised instead of a call's effect, `lose[endpoint]`
    errors raised after it (an answer lost once the call landed), one per call. A stop leaves the deployment
    `stop_leaves` (None: the stop never takes); a create starts one `create_status`."""

    def __init__(self, *deps: LiveDeployment, parameters: dict[str, str] | None = None) -> None:
        self.rows: dict[int, list[dict[str, Any]]] = {}
        for d in deps:
            self.rows.setdefault(d.project_id, []).append(
                {"projectId": d.project_id, "deployId": d.deploy_id, "status": d.status}
            )
        self.parameters = dict(parameters or {})
        self.calls: list[tuple[Any, ...]] = []
        self.refuse: dict[str, list[Exception | None]] = {}  # None: that call goes through
        self.lose: dict[str, list[Exception | None]] = {}
        self.stop_leaves: str | None = "Stopped"
        self.stop_shows_after = 0  # reads of the deployment (live/read, live/list) that still see it active
        self._stops: list[list[Any]] = []  # [row, status it ends in, reads left before it shows]
        self.create_status = "Running"
        self.create_later: list[str] = []  # the statuses a new deployment reports after its first, read by read
        self.readable = 10**9  # live/read answers left before every read fails
        self.portfolio: dict[str, Any] = {"portfolio": {"holdings": {}, "cash": {"USD": {"amount": 100.0}}}}
        self.client = SimpleNamespace(server_date=None)  # no Date header: launch times are not compared

    def _call(self, endpoint: str, *args: Any) -> None:
        self.calls.append((endpoint, *args))
        error = self.refuse[endpoint].pop(0) if self.refuse.get(endpoint) else None
        if error is not None:
            raise error

    def _answered(self, endpoint: str) -> None:
        error = self.lose[endpoint].pop(0) if self.lose.get(endpoint) else None
        if error is not None:
            raise error

    def sent(self, *endpoints: str) -> list[tuple[Any, ...]]:
        """The calls to these endpoints (every write when none is named), in order."""
        writes = endpoints or (
            "live/update/stop",
            "live/update/liquidate",
            "live/create",
            "live/commands/create",
            "projects/update",
        )
        return [c for c in self.calls if c[0] in writes]

    def status(self, pid: int) -> str:
        return str(self.rows[pid][-1]["status"])

    def _stops_land(self) -> None:
        for stop in list(self._stops):
            if stop[2] > 0:
                stop[2] -= 1
                continue
            stop[0]["status"] = stop[1]
            self._stops.remove(stop)

    def live_read(self, pid: int, deploy_id: str | None = None) -> dict[str, Any]:
        self._call("live/read", pid)
        self._stops_land()
        self.readable -= 1
        if self.readable < 0:
            raise ApiError("live/read: HTTP 503")
        mine = [r for r in self.rows.get(pid, []) if deploy_id in (None, r["deployId"])]
        if not mine:
            raise ApiError("live/read: no such deployment")
        answer = {k: v for k, v in mine[-1].items() if k != "later"}
        if mine[-1].get("later"):
            mine[-1]["status"] = mine[-1]["later"].pop(0)
        return answer

    def live_list(self) -> list[dict[str, Any]]:
        self._call("live/list")
        self._stops_land()
        return [{k: v for k, v in r.items() if k != "later"} for rows in self.rows.values() for r in rows]

    def live_stop(self, pid: int, liquidate: bool = False) -> None:
        endpoint = "live/update/liquidate" if liquidate else "live/update/stop"
        self._call(endpoint, pid)
        newest = self.rows[pid][-1]
        if self.stop_leaves is not None and newest["status"] in ACTIVE_STATUSES:
            self._stops.append([newest, "Liquidated" if liquidate else self.stop_leaves, self.stop_shows_after])
            self._stops_land()
        self._answered(endpoint)

    def live_command(self, pid: int, command: Any) -> None:
        self._call("live/commands/create", pid, dict(command))
        self._answered("live/commands/create")

    def live_portfolio(self, pid: int) -> dict[str, Any]:
        self._call("live/portfolio/read", pid)
        if pid not in self.rows:
            raise ApiError("live/portfolio/read: the project has no live deployment")
        return self.portfolio

    def project_live_nodes(self, pid: int) -> list[dict[str, Any]]:
        self._call("projects/nodes/read", pid)
        return []

    def project(self, pid: int) -> dict[str, Any]:
        self._call("projects/read", pid)
        return {"projectId": pid, "name": f"P{pid}", "parameters": dict(self.parameters), "modified": "2026-11-03"}

    def set_parameters(self, pid: int, name: str, parameters: Any) -> None:
        self._call("projects/update", pid, dict(parameters))
        self.parameters = dict(parameters)
        self._answered("projects/update")

    def live_create(self, body: Any) -> dict[str, Any]:
        pid = int(body["projectId"])
        self._call("live/create", pid, body)
        if any(row["status"] in ACTIVE_STATUSES for row in self.rows.get(pid, [])):
            raise ApiError(f"live/create: project {pid} already has an active deployment")
        deploy_id = f"L-{sum(len(rows) for rows in self.rows.values()) + 1}"
        row = {"projectId": pid, "deployId": deploy_id, "status": self.create_status, "later": list(self.create_later)}
        self.rows.setdefault(pid, []).append(row)
        self._answered("live/create")
        return {"deployId": deploy_id}


class FakeLedger:
    """The ledger as apply's steps write it: its entries, its journal, and each write in order; the methods named
    in `fails` raise LedgerError."""

    def __init__(self, *entries: LedgerEntry, fails: tuple[str, ...] = (), calls: list[Any] | None = None) -> None:
        self.salt = SALT
        self.entries = {e.name: e for e in entries}
        self.journal: dict[str, Any] = {}
        self.writes: list[tuple[Any, ...]] = []
        self.calls = calls if calls is not None else []  # a FakeApi's calls: one log of both, in order
        self.fails = fails

    def _write(self, method: str, *what: Any) -> None:
        if method in self.fails:
            raise LedgerError(f"the ledger cannot be written ({method})")
        self.writes.append((method, *what))
        self.calls.append((f"ledger.{method}", *what))

    def begin(self, j: Any, forget: bool = False, record: LedgerEntry | None = None) -> None:
        self._write("begin", j.step, forget, record.deploy_id if record else None)
        self.journal[j.name] = j
        if forget:
            self.entries.pop(j.name, None)
        if record is not None:
            self.entries[record.name] = record

    def put(self, e: LedgerEntry) -> None:
        self._write("put", e.deploy_id)
        self.entries[e.name] = e

    def remove(self, name: str) -> None:
        self._write("remove", name)
        self.entries.pop(name, None)


class FakeEvent(threading.Event):
    """An Event whose wait returns at once (set or not), recording each timeout asked for in `waited`."""

    def __init__(self) -> None:
        super().__init__()
        self.waited: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waited.append(timeout)
        return self.is_set()


@dataclass(frozen=True)
class FakeTimePoller(Poller):
    """A poller whose pauses move its own clock forward instead of sleeping; its cancel never blocks either."""

    now: list[float] = field(default_factory=lambda: [0.0])
    cancel: threading.Event = field(default_factory=FakeEvent)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clock", lambda: self.now[0])

    def _pause(self, seconds: float, cancellable: bool) -> None:
        self.now[0] += max(seconds, 0.0)


def step_context(
    api: FakeApi, ledger: FakeLedger | None = None, environ: Any = None, poll: float = 1.0, **options: Any
) -> Any:
    """A real apply Context around the fakes, its clock at 1000 s; each logged line is kept whole in `.lines` (the
    change's name, the message) and its message alone in `.logged`."""
    lines: list[tuple[Any, Any]] = []
    c = Context(
        api,  # type: ignore[arg-type]
        ledger or FakeLedger(),  # type: ignore[arg-type]
        FakeTimePoller(interval=poll, max_interval=10 * poll, now=[1000.0]),
        lambda name, message: lines.append((name, message)),
        ApplyOptions(**{"timeout": 60.0, **options}),
        environ=dict(environ or {}),
        now=lambda: T1,
    )
    c.lines, c.logged = lines, _Messages(lines)  # type: ignore[attr-defined]
    return c


class _Messages:
    """The messages of logged (name, message) lines, read as they are now."""

    def __init__(self, lines: list[tuple[Any, Any]]) -> None:
        self.lines = lines

    def __iter__(self) -> Any:
        return iter([message for _, message in self.lines])

    def __contains__(self, message: object) -> bool:
        return message in list(self)

    def __getitem__(self, index: Any) -> Any:
        return [message for _, message in self.lines][index]


def logged_as(ctx: Any, name: str) -> bool:
    """Every line the step logged names the change and says something."""
    return all(n == name and isinstance(m, str) and m for n, m in ctx.lines)


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
