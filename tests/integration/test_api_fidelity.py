"""The API as QuantConnect documents and ships it, not as the sandbox once allowed: projects/read paged with
start/end, parameter items named `key` or `name` (qc-api §13)."""

from __future__ import annotations

import copy

import pytest

from qcdeploy.config import Credentials
from qcdeploy.quantconnect.endpoints import Api
from qcdeploy.quantconnect.transport import Client
from tests.helpers import API_TOKEN, SEED, USER_ID, manifest, start_sandbox, write

pytestmark = pytest.mark.usefixtures("env")


def _seed(projects: int, **extra):
    seed = copy.deepcopy(SEED) | extra
    seed["projects"] = [{"projectId": 1000 + i, "name": f"Live/S{i}"} for i in range(projects)]
    return seed


@pytest.fixture
def boxes():
    started = []

    def start(seed):
        box = start_sandbox(seed)
        started.append(box)
        return box

    yield start
    for box in started:
        box.server.shutdown()
        box.server.server_close()


def _api(box, page):
    return Api(Client(box.url, Credentials(USER_ID, API_TOKEN, "")), projects_page=page)


@pytest.mark.parametrize(("projects", "calls"), [(5, 3), (4, 3), (1, 1), (0, 1)])
def test_projects_read_pages_until_a_short_page(boxes, projects, calls):
    box = boxes(_seed(projects))
    found = _api(box, 2).projects()
    assert sorted(p["projectId"] for p in found) == [1000 + i for i in range(projects)]
    assert box.calls()["projects/read"] == calls  # ceil((n + 1) / page): the last page is the short one


def test_a_fleet_that_fits_a_page_is_read_in_one_call(boxes):
    box = boxes(_seed(50))
    assert len(_api(box, 1000).projects()) == 50 and box.calls()["projects/read"] == 1


def test_a_capped_unpaged_list_does_not_hide_projects(cli, boxes, manifests, monkeypatch):
    """A server that cuts an unpaged list short: the manifest's project is found because every read is paged."""
    box = boxes(_seed(5, projectsCap=2))
    monkeypatch.setenv("QC_API_URL", box.url)
    write(manifests, "m.yaml", manifest("last", "Live/S4"))
    result = cli("plan", str(manifests))
    assert result.code == 0, result.text
    assert "+ last" in result.out


def test_parameter_items_named_name_read_as_keys(cli, boxes, manifests, monkeypatch):
    """LEAN's C# model names a parameter item {name, value}: a server answering so must not read as drift."""
    box = boxes(copy.deepcopy(SEED) | {"parameterKey": "name"})
    monkeypatch.setenv("QC_API_URL", box.url)
    write(manifests, "m.yaml", manifest("momentum", "Live/Momentum", parameters={"fast": 10}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    plan = cli("plan", "--detailed-exitcode", str(manifests))
    assert plan.code == 0 and "No changes." in plan.out, plan.out


def test_brokerage_values_go_out_as_the_lean_cli_sends_them(cli, sandbox, manifests, monkeypatch):
    """lean-cli's `str(value)`: a YAML boolean is "True", an integer its digits (docs/quantconnect-api.md)."""
    monkeypatch.setenv("WEBULL_SECRET", "webull-secret-value")
    brokerage = {
        "id": "WebullBrokerage",
        "webull-app-key": "app-key",
        "webull-app-secret": "${env:WEBULL_SECRET}",
        "webull-account-id": 12345,
        "webull-use-2fa": True,
    }
    write(manifests, "m.yaml", manifest("momentum", "Live/Momentum", brokerage=brokerage))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    [dep] = sandbox.deployments()
    kept = dep["settings"]["brokerage"]
    assert kept["webull-use-2fa"] == "True" and kept["webull-account-id"] == "12345"
