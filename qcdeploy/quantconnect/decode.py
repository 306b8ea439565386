"""API answers -> the observed model: the only place that reads QuantConnect's JSON field names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from qcdeploy.errors import ApiError, AuthError, ConfigError, QcdeployError
from qcdeploy.model import ACTIVE_STATUSES, LiveDeployment, LiveState, Node, Project

if TYPE_CHECKING:  # decoding needs no HTTP: the planner reads times with it and must not load requests
    from qcdeploy.quantconnect.endpoints import Api
from qcdeploy.quantconnect.background import Background

_FORMATS = (
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %H:%M:%S",  # .NET's invariant DateTime.ToString(), in case an answer carries it
    "%m/%d/%Y %I:%M:%S %p",
)
# live/read's error for a project that has never been deployed (qc-api.md §2; the sandbox answers the same)
NOT_DEPLOYED = "No live deployment found"
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")  # .NET writes 7 digits; Python before 3.11 reads at most 6


def parse_time(value: Any) -> datetime | None:
    """Every form the API has been seen to use (ISO-8601 with Z or an offset, 'YYYY-MM-DD HH:MM:SS', .NET's
    7-digit fractions), naive ones taken as UTC; anything else is unknown (None), never a guess."""
    if not isinstance(value, str) or not value:
        return None
    value = _LONG_FRACTION.sub(r"\1", value.strip())
    try:  # the common ISO forms first: fromisoformat is ~20x faster than strptime, and plans read 10,000s
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def deployment(row: Any, project_id: int | None = None) -> LiveDeployment:
    """One /live/list row or /live/read answer."""
    try:
        return LiveDeployment(
            project_id=int(row.get("projectId", project_id)),
            deploy_id=str(row["deployId"]),
            status=str(row.get("status") or "Undefined"),
            launched=parse_time(row.get("launched")),
            stopped=parse_time(row.get("stopped")),
            error=str(row.get("error") or row.get("message") or ""),
            brokerage=str(row.get("brokerage") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(f"live deployment record without a usable {exc}: the API answer is malformed") from None


_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def newest_per_project(rows: Iterable[Any]) -> dict[int, LiveDeployment]:
    """The list is a history: per project, the active deployment if any (there is at most one),
    else the latest launch; a row without a launch time counts as later than the rows before it.
    Only each project's newest row is decoded in full: a large account lists tens of thousands."""
    newest: dict[int, tuple[tuple[bool, datetime, int], Any]] = {}
    for index, row in enumerate(rows):
        try:
            pid = int(row["projectId"]) if isinstance(row, dict) and "deployId" in row else None
        except (KeyError, TypeError, ValueError):
            pid = None
        if pid is None:
            deployment(row)  # raises: the API answer is malformed
            continue
        key = (str(row.get("status") or "") in ACTIVE_STATUSES, parse_time(row.get("launched")) or _EPOCH, index)
        old = newest.get(pid)
        if old is None or key > old[0]:
            newest[pid] = (key, row)
    return {pid: deployment(row) for pid, (_, row) in newest.items()}


def project(row: Any) -> Project:
    try:
        return Project(
            project_id=int(row["projectId"]),
            name=str(row.get("name") or ""),
            modified=str(row.get("modified") or ""),
            modified_at=parse_time(row.get("modified")),
            organization_id=str(row.get("organizationId") or ""),
            parameters=_parameters(row.get("parameters")),
            live_form=row["liveForm"] if isinstance(row.get("liveForm"), dict) else {},
            lean_version=str(row.get("leanVersionId") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise ApiError("projects/read: a project record has no usable projectId") from None


def _parameters(value: Any) -> dict[str, str]:
    """Project parameters come as a list of items, as a dict whose values are items (lean-cli
    `QCProject.process_parameters_dict` maps such a dict to its values), or as plain name -> value. An item is
    `{key, value}` (lean-cli's model) or `{name, value}` (LEAN's C# `Parameter`): both are read (qc-api §13)."""
    if isinstance(value, dict):
        if value and all(_item_name(v) is not None for v in value.values()):
            value = list(value.values())
        else:
            return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        named = ((_item_name(p), p) for p in value)
        return {name: str(p.get("value", "")) for name, p in named if name is not None}
    return {}


def _item_name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    name = item.get("key", item.get("name"))
    return None if name is None else str(name)


def node(row: Any) -> Node:
    pid = row.get("projectId")
    return Node(
        id=str(row.get("id", "")),
        name=str(row.get("name") or ""),
        busy=bool(row.get("busy")),
        used_by=str(row.get("usedBy") or row.get("projectName") or ""),
        project_name=str(row.get("projectName") or ""),
        project_id=int(pid) if isinstance(pid, int) or (isinstance(pid, str) and pid.isdigit()) else None,
    )


def node_running(project: Project, nodes: Iterable[Node]) -> Node | None:
    """The busy live node holding this project's deployment (nodes report it by project id or name)."""
    for n in nodes:
        if n.busy and (n.project_id == project.project_id or (n.project_name and n.project_name == project.name)):
            return n
    return None


def reported_providers(live_form: Any) -> list[str]:
    """liveForm.dataProvidersData: a list of {id} objects (OpenAPI LiveForm); plain ids are read too."""
    raw = live_form.get("dataProvidersData") if isinstance(live_form, dict) else None
    ids = [p.get("id") if isinstance(p, dict) else p for p in raw or []]
    return [str(i) for i in ids if isinstance(i, str) and i]


def read_state(api: Api, organization_id: str) -> LiveState:
    """Three calls however many manifests: live/list, projects/read (one more per further page of projects), and
    the live nodes (one more when the documented projects/nodes/read is refused and the legacy nodes/read serves
    instead)."""
    listing = Background(api.live_list)  # the other two wait on each other, not on this one
    try:
        projects = {p.project_id: p for p in map(project, api.projects(organization_id))}
        nodes = tuple(map(node, _live_nodes(api, organization_id, projects)))
    except QcdeployError:
        listing.result()  # when both fail, the error reported is the first read's, as it was read alone
        raise
    return LiveState(newest_per_project(listing.result()), projects, nodes)


def _live_nodes(api: Api, organization_id: str, projects: dict[int, Project]) -> list[Any]:
    mine = [p for p in projects.values() if not organization_id or p.organization_id in ("", organization_id)]
    if mine:
        try:
            return api.project_live_nodes(min(p.project_id for p in mine))
        except AuthError:
            raise
        except ApiError:
            pass  # not served (older accounts, emulators): the legacy organization-wide endpoint
    return api.live_nodes(organization_id or _only_organization(projects.values()))


def _only_organization(projects: Iterable[Project]) -> str:
    orgs = {p.organization_id for p in projects if p.organization_id}
    if len(orgs) == 1:
        return orgs.pop()
    raise ConfigError(
        "QC_ORGANIZATION_ID is not set and cannot be inferred from your projects "
        f"({len(orgs)} organizations seen); set it to the organization that owns the live nodes"
    )
