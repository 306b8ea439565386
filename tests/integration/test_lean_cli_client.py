"""QuantConnect's own lean CLI as a second client of the sandbox.

The lean CLI's API client and its strict pydantic models of the answers (`lean/models/api.py`) were written by
QuantConnect against the real API, not by us: where they reject a sandbox answer, the sandbox is wrong. Skipped
when the `lean` package is not installed (`make test` installs it with the dev extras).
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import pytest

from tests.helpers import API_TOKEN, NODE1, ORG, P_MOMENTUM, USER_ID


def _lean() -> Any:
    """The lean CLI's API client pointed at the sandbox. At import, lean fetches a modules file from its CDN
    (qc-api §10.3), which this machine cannot reach: an empty one stands in (only brokerage prompts use it)."""
    spec = importlib.util.find_spec("lean")
    if spec is None or spec.origin is None:
        pytest.skip("the lean CLI is not installed (pip install lean)")
    modules = os.path.join(os.path.dirname(spec.origin), "modules-1.14.json")
    if not os.path.exists(modules):
        with open(modules, "w", encoding="utf-8") as out:
            json.dump({"modules": []}, out)
    os.utime(modules)  # fresh: lean then does not try its CDN
    from lean.components.api import api_client

    return api_client


@pytest.fixture
def lean_api(sandbox, monkeypatch):
    api_client = _lean()
    from lean.components.util.http_client import HTTPClient
    from lean.components.util.logger import Logger

    monkeypatch.setattr(api_client, "API_BASE_URL", sandbox.url)  # lean reads QC_API=local as a fixed port
    logger = Logger()
    return api_client.APIClient(logger, HTTPClient(logger), USER_ID, API_TOKEN)


def test_lean_cli_accepts_every_answer_of_a_deploy(lean_api, sandbox):
    assert lean_api.is_authenticated()
    [org] = lean_api.organizations.get_all()  # what `lean whoami` reads
    assert org.id == ORG and lean_api.organizations.get(ORG).id == ORG
    projects = lean_api.projects.get_all(ORG)
    assert P_MOMENTUM in [p.projectId for p in projects]
    # form-encoded, with the project's name, as lean sends it (Documentation#2112: name to become required)
    lean_api.projects.update(P_MOMENTUM, name="Live/Momentum", parameters={"fast": "10", "slow": "30"})
    with pytest.raises(Exception, match="name is required"):  # the sandbox takes Documentation#2112's reading
        lean_api.projects.update(P_MOMENTUM, description="no name")
    project = lean_api.projects.get(P_MOMENTUM, ORG)
    assert {p.key: p.value for p in project.parameters} == {"fast": "10", "slow": "30"}
    [main] = lean_api.files.get_all(P_MOMENTUM)  # files/read, read through lean's strict QCFullFile
    assert main.name == "main.py" and main.content and lean_api.files.get(P_MOMENTUM, "main.py").content == main.content
    nodes = lean_api.nodes.get_all(ORG)
    assert NODE1 in [n.id for n in nodes.live]
    compiled = lean_api.compiles.create(P_MOMENTUM)
    assert lean_api.compiles.get(P_MOMENTUM, compiled.compileId).state.value == "InQueue"
    sandbox.admin("advance", seconds=1)  # the build finishes
    assert lean_api.compiles.get(P_MOMENTUM, compiled.compileId).state.value == "BuildSuccess"
    started = lean_api.live.start(
        P_MOMENTUM,
        compiled.compileId,
        NODE1,
        {"id": "QuantConnectBrokerage"},
        {"QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}},
        False,
        project.leanVersionId,
        False,
        False,
        [],
    )
    assert started.projectId == P_MOMENTUM and started.deployId.startswith("L-")
    [deployment] = sandbox.deployments(P_MOMENTUM)
    assert deployment["settings"]["parameters"] == {"fast": "10", "slow": "30"}  # the project's, as on the real API
    live = lean_api.live.get_project_by_id(P_MOMENTUM)
    assert live.deployId == started.deployId and live.brokerage == "PaperBrokerage"
    assert lean_api.live.command_create(P_MOMENTUM, {"$type": "Rebalance"}).success  # `lean cloud live command`
    assert lean_api.live.broadcast_command(ORG, {"$type": "Rebalance"}).success  # `lean cloud live broadcast`
    assert sandbox.active(P_MOMENTUM)[0]["commands"] == [{"$type": "Rebalance"}] * 2
    assert lean_api.live.stop(P_MOMENTUM).success


def test_lean_cli_sees_a_refused_hash_as_an_authentication_failure(sandbox):
    api_client = _lean()
    from lean.components.util.http_client import HTTPClient
    from lean.components.util.logger import Logger

    api_client.API_BASE_URL, saved = sandbox.url, api_client.API_BASE_URL
    try:
        logger = Logger()
        wrong = api_client.APIClient(logger, HTTPClient(logger), USER_ID, "not-the-token")
        assert wrong.is_authenticated() is False
    finally:
        api_client.API_BASE_URL = saved


def test_lean_cli_reads_projects_a_page_at_a_time(lean_api):
    """OpenAPI `start`/`end` (qc-api §13; the MCP server's real-API test reads end=2 and gets exactly 2), sent as
    the lean CLI sends reads: GET with a query string."""
    first = lean_api.get("projects/read", {"start": 0, "end": 2})["projects"]
    rest = lean_api.get("projects/read", {"start": 2, "end": 100})["projects"]
    from lean.models.api import QCProject

    names = [QCProject(**p).name for p in first + rest]
    assert len(first) == 2 and len(set(names)) == len(names) == 4  # every project once, none cut off


def test_lean_cli_accepts_the_backtest_answers(lean_api, sandbox):
    """backtests/create and backtests/read through lean's strict QCBacktest (issue 27's gate reads the same)."""
    with sandbox.server.world.lock:
        sandbox.server.world.delay = 0  # settled at once: nothing to wait for
    compiled = lean_api.compiles.create(P_MOMENTUM)
    created = lean_api.backtests.create(P_MOMENTUM, compiled.compileId, "gate", {"fast": "10"})
    read = lean_api.backtests.get(P_MOMENTUM, created.backtestId)
    assert read.is_complete() and read.error is None
    assert read.statistics["Sharpe Ratio"] == "1.41" and read.statistics["Drawdown"].endswith("%")
    assert read.parameterSet == {"fast": "10"}
