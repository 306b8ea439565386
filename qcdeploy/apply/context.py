"""What every step shares: the API, the ledger, the poller, the log, the clock and the apply options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from qcdeploy.apply.board import StatusBoard
from qcdeploy.apply.outcome import Result
from qcdeploy.apply.pace import Pace
from qcdeploy.apply.waiting import Poller
from qcdeploy.ledger.store import Ledger
from qcdeploy.model import LiveDeployment
from qcdeploy.quantconnect import decode as live
from qcdeploy.quantconnect.endpoints import Api


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout: float = 900.0
    parallelism: int = 4
    health_window: float = 30.0  # seconds a new deployment must stay up after Running
    rollback: bool = True
    max_unavailable: int | None = None  # replaces per wave; None: the parallelism
    environment: str = ""  # the environment applied, for the commands hints name
    max_backtests: int = 4  # backtest gates run side by side


@dataclass
class Context:
    """Shared by the steps of every change; `baseline` is each project's newest deployId when planned."""

    api: Api
    ledger: Ledger
    poller: Poller
    log: Callable[[str, str], None]
    options: ApplyOptions = ApplyOptions()
    environ: Mapping[str, str] = field(default_factory=dict)
    baseline: Mapping[int, str] = field(default_factory=dict)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    board: StatusBoard = field(init=False)
    starts: Pace = field(default_factory=Pace)  # how long deployments took from live/create to Running

    def __post_init__(self) -> None:
        self.board = StatusBoard(self.api, fresh=self.poller.interval, clock=self.poller.clock)

    @property
    def timeout(self) -> float:
        return self.options.timeout

    def read(self, pid: int, deploy_id: str | None = None) -> LiveDeployment:
        return live.deployment(self.api.live_read(pid, deploy_id), pid)

    def read_or_none(self, pid: int, deploy_id: str | None = None) -> LiveDeployment | None:
        """A read that may fail without failing the step (the caller decides what not knowing means)."""
        return self.board.read(pid, deploy_id)

    def progress(self, r: Result, what: str) -> Callable[[float], None]:
        return lambda seconds: self.log(r.change.name, f"still waiting for {what} ({seconds:.0f}s)")

    def stamp(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
