"""Frozen values shared by planner, renderers and executor: observed state, desired state, plans."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model is data; reading YAML is the manifest layer's business
    from qcdeploy.manifests.load import Manifest

# a place in a document: keys and list indexes from its root, e.g. ("spec", "brokerage", "ib-account")
KeyPath = tuple[str | int, ...]


def dotted(path: KeyPath) -> str:
    """spec.brokerage.ib-account, spec.notification.targets[0].address"""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


ACTIVE_STATUSES = frozenset({"InQueue", "LoggingIn", "Initializing", "Running", "History", "PendingInput"})
FAILED_STATUSES = frozenset({"RuntimeError", "DeployError"})


@dataclass(frozen=True)
class LiveDeployment:
    """The newest deployment of one project, as /live/list or /live/read reports it."""

    project_id: int
    deploy_id: str
    status: str
    launched: datetime | None = None
    stopped: datetime | None = None
    error: str = ""
    brokerage: str = ""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass(frozen=True)
class Project:
    """A QuantConnect project; `modified` is the raw server string, `modified_at` parsed."""

    project_id: int
    name: str
    modified: str
    modified_at: datetime | None
    organization_id: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict, compare=False)
    live_form: Mapping[str, Any] = field(default_factory=dict, compare=False)  # last live-wizard content
    lean_version: str = ""
    # a hash of its files (files/read), read only when `modified` moved past the ledger's record ("": not read)
    code_hash: str = field(default="", compare=False)


@dataclass(frozen=True)
class Node:
    """A live node."""

    id: str
    name: str
    busy: bool = False
    used_by: str = ""
    project_id: int | None = None
    project_name: str = ""


@dataclass(frozen=True)
class LiveState:
    """What the API says now: newest deployment per project, projects and live nodes."""

    deployments: Mapping[int, LiveDeployment]
    projects: Mapping[int, Project]
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Desired:
    """A manifest with its project and node resolved against the live state."""

    manifest: Manifest
    project: Project
    node: Node
    lean_label: str = ""  # the LEAN version it runs, by name and date (lean/versions/read), when it was read
    gate_note: str = ""  # its backtest gate as planned: "will run" or "passed for compile …"

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def fields(self) -> dict[str, Any]:
        """The spec as deployed (the /live/create body, but `compile` for its compileId): a change to any of
        these needs a redeploy."""
        spec = self.manifest.spec
        fields = {
            "projectId": self.project.project_id,
            "nodeId": self.node.id,
            "compile": spec["compile"],
            "versionId": spec["versionId"],
            "brokerage": spec["brokerage"],
            "dataProviders": spec["dataProviders"],
            "parameters": spec["parameters"],
            "automaticRedeploy": spec["automaticRedeploy"],
        }
        if "notification" in spec:
            fields["notification"] = spec["notification"]
        return fields


@dataclass(frozen=True)
class LedgerEntry:
    """qcdeploy's record of one deployment it made (no secret in clear)."""

    name: str
    project_id: int
    deploy_id: str
    spec: Mapping[str, Any]  # Desired.fields with secrets replaced by salted slow hashes
    compile_id: str | None
    project_modified: str | None
    applied_at: str
    on_stop: str = "stop"
    protect: bool = False
    # where each secret came from ("${env:IB_PASSWORD}"), by spec path: a rollback resolves them again
    refs: tuple[tuple[tuple[str | int, ...], str], ...] = ()
    salt: str = ""  # the salt its secrets were hashed with ("": the ledger's)
    code_hash: str = ""  # the project's files when it was compiled (files/read): tells code edits from the rest


def ours(entry: LedgerEntry | None, dep: LiveDeployment | None) -> bool:
    """The one rule for "qcdeploy manages this deployment": the ledger entry records its deployId."""
    return entry is not None and dep is not None and entry.deploy_id == dep.deploy_id


class Action(str, Enum):
    """What apply will do to one deployment."""

    CREATE = "create"
    REPLACE = "replace"
    STOP = "stop"
    LIQUIDATE = "liquidate"
    UPDATE = "update"  # in place, no redeploy: ledger metadata (protect, onStop), project parameters

    @property
    def symbol(self) -> str:
        return {"create": "+", "replace": "-/+", "stop": "-", "liquidate": "-$", "update": "~"}[self.value]


@dataclass(frozen=True)
class Holding:
    symbol: str  # the symbol id LEAN keys holdings by
    quantity: float
    average_price: float
    market_value: float
    unrealized: float


@dataclass(frozen=True)
class Exposure:
    """What a stop, liquidation or replace puts at stake: the deployment's portfolio, or why it is unknown."""

    holdings: tuple[Holding, ...] = ()
    cash: Mapping[str, float] = field(default_factory=dict)
    unknown: str = ""  # why the portfolio could not be read; never shown as empty

    @property
    def market_value(self) -> float:
        return sum(abs(h.market_value) for h in self.holdings)

    @property
    def unrealized(self) -> float:
        return sum(h.unrealized for h in self.holdings)


@dataclass(frozen=True)
class FieldChange:
    """One spec path that differs between the ledger and the manifest."""

    path: tuple[str | int, ...]
    before: Any
    after: Any
    sensitive: bool = False


class Why(Enum):
    """What made a change necessary: decided once by the planner, shown by the renderers, read by drift and JSON
    (`reason_codes`) instead of parsing the words back."""

    NEW = "new"  # nothing of the project was ever deployed
    CRASHED = "crashed"  # its newest deployment ended in RuntimeError or DeployError
    STOPPED_OUTSIDE = "stopped-outside"  # ours, stopped or liquidated by someone else
    NOT_RUNNING = "not-running"  # another's deployment ended; nothing runs
    FIELD_CHANGED = "field-changed"  # a spec field differs from what was deployed
    CODE_CHANGED = "code-changed"  # the project's code is newer than the running compile
    PARAMETERS_EDITED = "parameters-edited"  # the project's parameters were edited outside qcdeploy
    LEDGER_ONLY = "ledger-only"  # protect/onStop: only the ledger changes
    REPLACE_REQUESTED = "replace-requested"  # --replace NAME
    PROJECT_MOVED = "project-moved"  # the manifest now names another project
    STATE_STOPPED = "state-stopped"  # the manifest says state: stopped
    PRUNED = "pruned"  # the manifest was removed and --prune given
    INTERRUPTED = "interrupted"  # finishes a change an apply that died left in the ledger's journal


@dataclass(frozen=True)
class Reason:
    """One reason for a change: its kind, and the words shown for it."""

    why: Why
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, kw_only=True)
class Change:
    """One planned action with its reasons: one of Create, Replace, Stop and Update, each holding what its kind
    needs (a Replace has both the manifest and the deployment it stops; a Stop may have no manifest).

    What only some kinds carry reads as neutral on the others: no field changes, no liquidation, not protected,
    managed."""

    name: str
    reasons: tuple[Reason, ...]
    desired: Desired | None = None  # the manifest as resolved; a Stop of a removed manifest has none
    observed: LiveDeployment | None = None  # the deployment a stop/replace acts on (a Create: the ended one)
    entry: LedgerEntry | None = None
    blocked: str = ""  # why apply cannot carry it out, if it cannot
    exposure: Exposure | None = None  # read for every change that stops an active deployment

    @property
    def action(self) -> Action:
        raise NotImplementedError(f"{type(self).__name__} is not a kind of change")

    @property
    def field_changes(self) -> tuple[FieldChange, ...]:
        return ()

    @property
    def parameter_changes(self) -> tuple[FieldChange, ...]:
        return ()

    @property
    def since_last_run(self) -> tuple[FieldChange, ...]:
        return ()

    @property
    def liquidate(self) -> bool:
        return False

    @property
    def protected(self) -> bool:
        return False

    @property
    def managed(self) -> bool:
        return True

    @property
    def stops(self) -> bool:
        return self.action in (Action.REPLACE, Action.STOP, Action.LIQUIDATE)

    @property
    def creates(self) -> bool:
        return self.action in (Action.CREATE, Action.REPLACE)

    @property
    def project_id(self) -> int:
        if self.desired is not None:
            return self.desired.project.project_id
        assert self.observed is not None
        return self.observed.project_id


@dataclass(frozen=True, kw_only=True)
class Create(Change):
    """Start a deployment where nothing of the project runs (new, crashed, stopped outside qcdeploy)."""

    desired: Desired
    # project parameters apply will set first (the project's now -> the manifest's): live parameters are project
    # variables
    parameter_changes: tuple[FieldChange, ...] = ()
    restore: bool = False  # finishes an interrupted replace with what ran before (entry), not the manifest
    # a restart of a deployment qcdeploy ran before in the same project: how the manifest differs from its spec then
    since_last_run: tuple[FieldChange, ...] = ()

    @property
    def action(self) -> Action:
        return Action.CREATE


@dataclass(frozen=True, kw_only=True)
class _Stopping(Change):
    """What every change that ends a running deployment holds: that deployment, and how it ends."""

    observed: LiveDeployment
    liquidate: bool = False  # liquidated, not only stopped
    protected: bool = False
    managed: bool = True  # False: the running deployment was not made by qcdeploy


@dataclass(frozen=True, kw_only=True)
class Replace(_Stopping):
    """Stop the running deployment and start the manifest's in its place (rolled back if the new one fails)."""

    desired: Desired
    field_changes: tuple[FieldChange, ...] = ()  # what differs from what was deployed
    parameter_changes: tuple[FieldChange, ...] = ()

    @property
    def action(self) -> Action:
        return Action.REPLACE


@dataclass(frozen=True, kw_only=True)
class Stop(_Stopping):
    """Stop (or liquidate) a running deployment: state: stopped, or a manifest removed under --prune."""

    @property
    def action(self) -> Action:
        return Action.LIQUIDATE if self.liquidate else Action.STOP


@dataclass(frozen=True, kw_only=True)
class Update(Change):
    """In place, no redeploy: project parameters set back to the manifest's, or ledger metadata (protect, onStop)."""

    desired: Desired
    entry: LedgerEntry
    parameter_changes: tuple[FieldChange, ...] = ()

    @property
    def action(self) -> Action:
        return Action.UPDATE


@dataclass(frozen=True)
class Unmanaged:
    """An active deployment qcdeploy did not make; `name` when a manifest wants its project."""

    deployment: LiveDeployment
    project_name: str
    name: str | None = None
    environment: str = ""  # managed by this other environment's ledger: not unmanaged, only not ours here


@dataclass(frozen=True)
class Orphan:
    """An active deployment in the ledger whose manifest is gone."""

    entry: LedgerEntry
    deployment: LiveDeployment


@dataclass(frozen=True)
class Interruption:
    """A change an earlier apply left in flight (the ledger's journal): what it did, and what runs now."""

    name: str
    detail: str  # "an apply died after stopping L-… at 14:02 UTC; nothing is running"
    flat: bool  # nothing runs for the strategy now
    step: str  # the journal's last step
    at: str
    project_id: int = 0
    settled: bool = False  # nothing is left to do for it (planned, no change needed): the next apply clears it


@dataclass(frozen=True)
class Plan:
    """An ordered set of changes plus what was seen and left alone."""

    changes: tuple[Change, ...]
    unmanaged: tuple[Unmanaged, ...] = ()
    orphaned: tuple[Orphan, ...] = ()
    unchanged: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    interrupted: tuple[Interruption, ...] = ()  # shown first: strategies an apply that died left behind
    environment: str = ""  # the environment planned ("" without environments): every hint it gives names it

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)


def command(words: str, environment: str = "") -> str:
    """A command to paste, `qcdeploy apply --prune`, with `--env NAME` after its verb when an environment is in
    use: a hint without it fails where the manifests define environments."""
    verb, _, rest = words.partition(" ")
    return " ".join(p for p in ("qcdeploy", verb, f"--env {environment}" if environment else "", rest) if p)
