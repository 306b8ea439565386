"""The QuantConnect endpoints qcdeploy uses, as typed calls on a Client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcdeploy.errors import ApiError
from qcdeploy.quantconnect.transport import Client, Json

# projects/read's page: one call for an account of fewer projects, however many manifests (qc-api §13: the
# OpenAPI's `start`/`end`, which the real API honours; whether an unpaged list is capped is not documented)
PROJECTS_PAGE = 1000
MAX_PROJECT_PAGES = 1000  # a server that never ends its list is an error, not a hang


class Api:
    """One method per endpoint; answers stay raw JSON (live.py turns them into the model)."""

    def __init__(self, client: Client, projects_page: int = PROJECTS_PAGE) -> None:
        self.client = client
        self.projects_page = projects_page

    def authenticate(self) -> None:
        self.client.read("authenticate")

    def live_list(self) -> list[Json]:
        return _list(self.client.read("live/list"), "live", "live/list")

    def projects(self, organization_id: str = "") -> list[Json]:
        """Every project, a page at a time (`start` inclusive, `end` exclusive) until a short page. A server that
        ignores paging answers everything at once (a page longer than asked, or one with nothing new): kept once."""
        body = {"organizationId": organization_id} if organization_id else {}
        rows: dict[str, Json] = {}
        for _ in range(MAX_PROJECT_PAGES):
            start = len(rows)
            asked = {**body, "start": start, "end": start + self.projects_page}
            page = _list(self.client.read("projects/read", asked), "projects", "projects/read")
            before = len(rows)
            rows.update((str(p.get("projectId")), p) for p in page if str(p.get("projectId")) not in rows)
            if len(page) != self.projects_page or len(rows) == before:
                return list(rows.values())
        raise ApiError(f"projects/read: more than {MAX_PROJECT_PAGES} pages of projects; the answer is not believable")

    def project(self, project_id: int) -> Json:
        projects = _list(
            self.client.read("projects/read", {"projectId": project_id}),
            "projects",
            "projects/read",
        )
        if not projects:
            raise ApiError(f"projects/read: project {project_id} not found")
        return projects[0]

    def set_parameters(self, project_id: int, name: str, parameters: Mapping[str, str]) -> None:
        """projects/update with the project's parameters, form-encoded as the lean CLI sends them
        (`parameters[0][key]`, `parameters[0][value]`, …; an empty string clears them). The project's current
        `name` goes too: the lean CLI always sends it, and QuantConnect staff mean to make it required
        (QuantConnect/Documentation#2112)."""
        if not name:
            raise ApiError(f"projects/update: project {project_id} has no name to send; nothing was changed")
        fields: dict[str, str] = {"projectId": str(project_id), "name": name}
        for i, (key, value) in enumerate(parameters.items()):
            fields[f"parameters[{i}][key]"] = key
            fields[f"parameters[{i}][value]"] = value
        if not parameters:
            fields["parameters"] = ""
        self.client.put_form("projects/update", fields)

    def files(self, project_id: int) -> list[Json]:
        """files/read: every file of the project, `{name, content, modified, isLibrary}` (qc-api §13)."""
        return _list(self.client.read("files/read", {"projectId": project_id}), "files", "files/read")

    def project_live_nodes(self, project_id: int) -> list[Json]:
        """projects/nodes/read, the documented endpoint (qc-api §7): the organization's nodes as one project sees
        them, so any project of the organization will do."""
        answer = self.client.read("projects/nodes/read", {"projectId": project_id})
        nodes = answer.get("nodes")
        if not isinstance(nodes, dict):
            raise ApiError("projects/nodes/read: unexpected answer ('nodes' is not an object)")
        return _list(nodes, "live", "projects/nodes/read")

    def live_nodes(self, organization_id: str) -> list[Json]:
        """nodes/read: removed from the docs in 2023 but still what the lean CLI calls (qc-api §7)."""
        return _list(
            self.client.read("nodes/read", {"organizationId": organization_id}),
            "live",
            "nodes/read",
        )

    def compile_create(self, project_id: int) -> Json:
        # A repeated compile only costs a build; retrying it like a read is safe.
        return self.client.read("compile/create", {"projectId": project_id})

    def compile_read(self, project_id: int, compile_id: str) -> Json:
        return self.client.read("compile/read", {"projectId": project_id, "compileId": compile_id})

    def backtest_create(self, project_id: int, compile_id: str, name: str, parameters: Mapping[str, str]) -> Json:
        """backtests/create (API reference, Create Backtest): `{projectId, compileId, backtestName, parameters}`.
        A repeated backtest only costs compute: retried like a read, as a compile is."""
        body = {"projectId": project_id, "compileId": compile_id, "backtestName": name, "parameters": dict(parameters)}
        return self.client.read("backtests/create", body)

    def backtest_read(self, project_id: int, backtest_id: str) -> Json:
        """backtests/read: `backtest` with `completed`, `progress`, `error`, `statistics`, `backtestStart`/`End`."""
        return self.client.read("backtests/read", {"projectId": project_id, "backtestId": backtest_id})

    def live_create(self, body: Mapping[str, Any]) -> Json:
        return self.client.write("live/create", body)

    def live_read(self, project_id: int, deploy_id: str | None = None) -> Json:
        body: dict[str, Any] = {"projectId": project_id}
        if deploy_id:
            body["deployId"] = deploy_id
        return self.client.read("live/read", body)

    def live_portfolio(self, project_id: int) -> Json:
        """qc-api §5: the project's live deployment's holdings and cash (a snapshot, about every 10 min)."""
        return self.client.read("live/portfolio/read", {"projectId": project_id})

    def lean_versions(self) -> list[Json]:
        """lean/versions/read (API reference, Lean Version): every LEAN version, `{id, created, description,
        leanHash, leanCloudHash, name, ref, public}`; the method takes no parameters."""
        return _list(self.client.read("lean/versions/read"), "versions", "lean/versions/read")

    def live_logs(self, project_id: int, deploy_id: str, start: int, end: int) -> Json:
        """live/logs/read (API reference, Read Live Algorithm > Logs): lines [start, end) of the project's log, at
        most 250 a call, only the given deployment's (`deploymentLogs`); `length` and `deploymentOffset` say where
        they stand."""
        body = {"format": "json", "projectId": project_id, "algorithmId": deploy_id}
        return self.client.read("live/logs/read", {**body, "startLine": start, "endLine": end, "deploymentLogs": True})

    def live_command(self, project_id: int, command: Mapping[str, Any]) -> None:
        """live/commands/create (lean-cli `live_client.command_create`): `{projectId, command}` to the project's
        running deployment, whose OnCommand reads it. A write: an answer lost after sending is AmbiguousWrite."""
        self.client.write("live/commands/create", {"projectId": project_id, "command": dict(command)})

    def live_stop(self, project_id: int, liquidate: bool = False) -> None:
        endpoint = "live/update/liquidate" if liquidate else "live/update/stop"
        self.client.write(endpoint, {"projectId": project_id})


def _list(payload: Json, key: str, endpoint: str) -> list[Json]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ApiError(f"{endpoint}: unexpected answer ('{key}' is not a list of objects)")
    return value
