"""The sandbox's state: projects, nodes, compiles, deployments, moving on with the clock."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

MAIN_PY = "from AlgorithmImports import *\n\n\nclass Sandbox(QCAlgorithm):\n    pass\n"
ACTIVE = {"InQueue", "LoggingIn", "Initializing", "Running", "History", "PendingInput"}


def stamp(t: float, iso: bool = False) -> str:
    """Server time as the API writes it: ISO-8601 Z in lists, 'YYYY-MM-DD HH:MM:SS' elsewhere."""
    dt = datetime.fromtimestamp(t, timezone.utc)
    return (
        dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
        if iso
        else dt.strftime("%Y-%m-%d %H:%M:%S")
    )


@dataclass
class Project:
    projectId: int
    name: str
    modified: float
    created: float
    organizationId: str
    buildError: str = ""  # non-empty: compiles of this project fail with this log line
    deployError: str = ""  # non-empty: deployments of this project fail to start
    crashAfter: float | None = None  # deployments of this project die this many seconds after Running
    stuck: bool = False  # deployments of this project stay LoggingIn (the brokerage never answers)
    endAs: str = "RuntimeError"  # how they end then: a crash, or Stopped/Liquidated (someone pressed stop)
    parameters: dict[str, str] = field(default_factory=dict)  # project variables, read by a deployment as it starts
    breakWhen: dict[str, str] = field(default_factory=dict)  # deployError/crashAfter only with these parameters
    leanVersionId: int = 17000
    files: dict[str, str] = field(default_factory=lambda: {"main.py": MAIN_PY})  # name -> content
    refuseCommands: str = ""  # non-empty: live/commands/create is refused with this message
    startLog: list[str] = field(default_factory=list)  # lines each deployment of the project logs as it starts


@dataclass
class NodeRec:
    id: str
    name: str
    sku: str = "L-MICRO"


@dataclass
class Compile:
    compileId: str
    projectId: int
    created: float
    modified: float  # the project's modified time it compiled
    buildError: str = ""


@dataclass
class Deployment:
    deployId: str
    projectId: int
    nodeId: str
    compileId: str
    launched: float
    brokerage: str
    settings: dict[str, Any] = field(default_factory=dict)  # what was sent to live/create, kept server-side
    status: str = "InQueue"
    stopped: float | None = None
    stopRequested: float | None = None
    stopAs: str = "Stopped"
    error: str = ""
    deployError: str = ""
    crashAfter: float | None = None
    stuck: bool = False
    endAs: str = "RuntimeError"
    # LEAN's Portfolio (Common/Api/Portfolio.cs): holdings by symbol id (Holding's short keys), cash by currency
    portfolio: dict[str, Any] = field(default_factory=lambda: {"holdings": {}, "cash": {}})
    commands: list[dict[str, Any]] = field(default_factory=list)  # live/commands/create and /broadcast received
    logs: list[str] = field(default_factory=list)  # the lines the algorithm wrote (live/logs/read)
    received: list[dict[str, Any]] = field(default_factory=list)  # live/commands/create: {at, command}


@dataclass
class World:
    """Everything the sandbox knows; all access under one lock."""

    users: dict[str, str]  # user id -> API token
    organizationId: str
    projects: dict[int, Project]
    nodes: dict[str, NodeRec]
    compiles: dict[str, Compile] = field(default_factory=dict)
    deployments: list[Deployment] = field(default_factory=list)
    delay: float = 2.0
    stop_delay: float | None = None  # how long a stop takes to take effect (None: `delay`)
    start_delay: float | None = None  # how long a deployment stays InQueue (None: `delay`)
    refused_logins: list[str] = field(default_factory=list)  # credential values the brokers refuse
    parameters_as_dict: bool = False  # projects/read answers parameters in its dict shape
    parameter_key: str = "key"  # each item's name field: "key" (lean-cli's model) or "name" (LEAN's C# model)
    auth_failure_status: int = 200  # the HTTP status of a refused hash (200, 401 and 500 are all reported)
    projects_cap: int | None = None  # projects/read without start/end answers at most this many
    # lean/versions/read: {id, name, created?}; master (-1) and the seed's default project version to start with
    lean_versions: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": -1, "name": "master"}, {"id": 17000, "name": "v2.5.17000"}]
    )
    backtests: list[dict[str, Any]] = field(default_factory=list)  # backtests/create received, with their results
    backtest_setup: dict[int, dict[str, Any]] = field(default_factory=dict)  # per project: statistics, period, error
    data_dir: str | None = None
    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- time ------------------------------------------------------------------------------

    @property
    def stopping(self) -> float:
        return self.delay if self.stop_delay is None else self.stop_delay

    @property
    def starting(self) -> float:
        return self.delay if self.start_delay is None else self.start_delay

    def advance(self) -> None:
        """Move compiles and deployments on to the state their age implies."""
        now = self.clock()
        for d in self.deployments:
            if d.stopRequested is not None and d.status in ACTIVE and now >= d.stopRequested + self.stopping:
                d.status, d.stopped = d.stopAs, d.stopRequested + self.stopping
            elif d.status == "InQueue" and now >= d.launched + self.starting:
                d.status = "DeployError" if d.deployError else ("LoggingIn" if d.stuck else "Running")
                d.error = d.deployError
                self.write_start(d)
            if d.status == "Running" and d.crashAfter is not None and now >= d.launched + self.delay + d.crashAfter:
                d.status, d.stopped = d.endAs, d.launched + self.delay + d.crashAfter
                crashed = d.endAs == "RuntimeError"
                d.error = "Runtime Error: the algorithm crashed after it started" if crashed else ""
                if crashed:
                    self.write_crash(d, d.error)

    def write_start(self, d: Deployment) -> None:
        """What LEAN logs as a live deployment starts, or why it did not."""
        project = self.projects.get(d.projectId)
        version = project.leanVersionId if project is not None else 0
        d.logs.append(f"{stamp(self.clock())} Launching analysis for {d.deployId} with LEAN Engine v2.5.0.{version}")
        d.logs += [f"{stamp(self.clock())} {line}" for line in (project.startLog if project is not None else [])]
        if d.deployError:
            d.logs.append(f"{stamp(self.clock())} Error: {d.deployError}")
        else:
            d.logs.append(f"{stamp(self.clock())} Algorithm '{d.deployId}' initialized and running")

    def write_crash(self, d: Deployment, error: str) -> None:
        """A crash writes its error and the stack trace, as LEAN's live log shows a runtime error."""
        at = stamp(self.clock())
        d.logs += [
            f"{at} {error}",
            f"{at}   at OnData",
            f"{at}     raise RuntimeError(error) in main.py: line 42",
            f"{at}   at QuantConnect.Lean.Engine.AlgorithmManager.Run() in AlgorithmManager.cs:line 524",
        ]

    def compile_state(self, c: Compile) -> str:
        if self.clock() < c.created + self.delay:
            return "InQueue"
        return "BuildError" if c.buildError else "BuildSuccess"

    # -- queries -----------------------------------------------------------------------------

    def newest_by_project(self) -> dict[int, Deployment]:
        """Every project's newest deployment, in one pass (projects/read of a large account)."""
        newest: dict[int, Deployment] = {}
        for d in self.deployments:
            old = newest.get(d.projectId)
            if old is None or d.launched >= old.launched:
                newest[d.projectId] = d
        return newest

    def newest(self, project_id: int) -> Deployment | None:
        mine = [d for d in self.deployments if d.projectId == project_id]
        return max(mine, key=lambda d: d.launched) if mine else None

    def active(self, project_id: int) -> Deployment | None:
        d = self.newest(project_id)
        return d if d is not None and d.status in ACTIVE else None

    def node_user(self, node_id: str) -> Deployment | None:
        """The deployment holding the node: active, or stopping but not yet stopped."""
        return next((d for d in self.deployments if d.nodeId == node_id and d.status in ACTIVE), None)

    # -- changes -----------------------------------------------------------------------------

    def new_deployment(
        self,
        project_id: int,
        node_id: str,
        compile_id: str,
        brokerage: str,
        settings: dict[str, Any],
    ) -> Deployment:
        project = self.projects[project_id]
        dep = Deployment(
            deployId="L-" + secrets.token_hex(16),
            projectId=project_id,
            nodeId=node_id,
            compileId=compile_id,
            launched=max([self.clock()] + [d.launched + 0.001 for d in self.deployments if d.projectId == project_id]),
            brokerage=brokerage,
            settings=settings,
        )
        params = settings.get("parameters") or {}
        if all(params.get(k) == v for k, v in project.breakWhen.items()):
            dep.deployError, dep.crashAfter, dep.endAs = project.deployError, project.crashAfter, project.endAs
            dep.stuck = project.stuck
        self.deployments.append(dep)
        return dep

    def new_compile(self, project_id: int) -> Compile:
        project = self.projects[project_id]
        c = Compile(
            f"{secrets.token_hex(16)}-{secrets.token_hex(16)}",
            project_id,
            self.clock(),
            project.modified,
            project.buildError,
        )
        self.compiles[c.compileId] = c
        return c

    def touch(self, project_id: int) -> None:
        """The project changed (its code, or as some answers go its parameters): modified moves forward at least
        one second."""
        p = self.projects[project_id]
        p.modified = max(self.clock(), p.modified + 1.0)

    def edit_code(self, project_id: int) -> None:
        """Someone edited main.py in the web IDE: its content and the project's modified move."""
        p = self.projects[project_id]
        p.files["main.py"] = p.files.get("main.py", "") + f"# edited at {self.clock():.3f}\n"
        self.touch(project_id)

    # -- persistence ---------------------------------------------------------------------------

    def save(self) -> None:
        if not self.data_dir:
            return
        path = Path(self.data_dir) / "state.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json()), "utf-8")
        tmp.replace(path)

    def to_json(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "organizationId": self.organizationId,
            "delay": self.delay,
            "refusedLogins": self.refused_logins,
            "parametersAsDict": self.parameters_as_dict,
            "parameterKey": self.parameter_key,
            "authFailureStatus": self.auth_failure_status,
            "projectsCap": self.projects_cap,
            "leanVersions": self.lean_versions,
            "backtests": self.backtests,
            "backtestSetup": {str(k): v for k, v in self.backtest_setup.items()},
            "projects": [asdict(p) for p in self.projects.values()],
            "nodes": [asdict(n) for n in self.nodes.values()],
            "compiles": [asdict(c) for c in self.compiles.values()],
            "deployments": [asdict(d) for d in self.deployments],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], data_dir: str | None = None) -> World:
        return cls(
            users={str(k): str(v) for k, v in raw["users"].items()},
            organizationId=str(raw["organizationId"]),
            projects={p["projectId"]: Project(**p) for p in raw["projects"]},
            nodes={n["id"]: NodeRec(**n) for n in raw["nodes"]},
            compiles={c["compileId"]: Compile(**c) for c in raw.get("compiles", [])},
            deployments=[Deployment(**d) for d in raw.get("deployments", [])],
            delay=float(raw.get("delay", 2.0)),
            refused_logins=[str(v) for v in raw.get("refusedLogins", [])],
            parameters_as_dict=bool(raw.get("parametersAsDict", False)),
            parameter_key=str(raw.get("parameterKey", "key")),
            auth_failure_status=int(raw.get("authFailureStatus", 200)),
            projects_cap=_optional_int(raw.get("projectsCap")),
            lean_versions=list(
                raw.get("leanVersions") or [{"id": -1, "name": "master"}, {"id": 17000, "name": "v2.5.17000"}]
            ),
            backtests=list(raw.get("backtests") or []),
            backtest_setup={int(k): dict(v) for k, v in (raw.get("backtestSetup") or {}).items()},
            data_dir=data_dir,
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
