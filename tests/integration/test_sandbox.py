"""The sandbox is strict where the real API is strict (qc-api.md), over real HTTP."""

from __future__ import annotations

import hashlib
import time

import pytest
import requests

from qcdeploy.config import Credentials
from qcdeploy.quantconnect.transport import auth_headers
from tests.helpers import API_TOKEN, NODE1, NODE2, ORG, P_MEANREV, P_MOMENTUM, P_PAIRS, USER_ID

CREDS = Credentials(USER_ID, API_TOKEN)


def call(sandbox, endpoint, body=None, headers=None):
    headers = headers if headers is not None else auth_headers(CREDS, time.time())
    return requests.post(sandbox.url + endpoint, json=body or {}, headers=headers, timeout=10)


def ok(sandbox, endpoint, body=None):
    answer = call(sandbox, endpoint, body).json()
    assert answer["success"], answer
    return answer


def fails(sandbox, endpoint, body):
    answer = call(sandbox, endpoint, body)
    assert answer.status_code == 200
    payload = answer.json()
    assert payload["success"] is False
    return payload["errors"][0]


def built(sandbox, project_id):
    compile_id = ok(sandbox, "compile/create", {"projectId": project_id})["compileId"]
    sandbox.admin("advance", seconds=0.2)  # past the sandbox's delay, without waiting it out
    assert ok(sandbox, "compile/read", {"projectId": project_id, "compileId": compile_id})["state"] == "BuildSuccess"
    return compile_id


def create_body(project_id, compile_id, node=NODE1, **extra):
    body = {
        "projectId": project_id,
        "compileId": compile_id,
        "nodeId": node,
        "versionId": "-1",
        "brokerage": {"id": "QuantConnectBrokerage"},
        "dataProviders": {"QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}},
    }
    body.update(extra)
    return body


def test_authentication(sandbox):
    assert call(sandbox, "authenticate").json() == {"success": True, "errors": []}
    stale = auth_headers(CREDS, time.time() - 7300)
    stale_answer = call(sandbox, "authenticate", headers=stale)
    assert stale_answer.status_code == 200 and stale_answer.json()["success"] is False  # as observed (qc-api §1)
    wrong = auth_headers(Credentials(USER_ID, "nope"), time.time())
    answer = call(sandbox, "authenticate", headers=wrong)
    assert answer.status_code == 200 and answer.json()["errors"][0].startswith("Hash doesn't match")
    assert call(sandbox, "authenticate", headers={}).json()["success"] is False
    sandbox.admin("auth-failure-status", status=401)
    assert call(sandbox, "authenticate", headers={}).status_code == 401
    # the hand-built form from the docs works as well as requests' auth=(user, hash)
    stamp = str(int(time.time()))
    digest = hashlib.sha256(f"{API_TOKEN}:{stamp}".encode()).hexdigest()
    answer = requests.post(
        sandbox.url + "authenticate", auth=(USER_ID, digest), headers={"Timestamp": stamp}, timeout=5
    )
    assert answer.json()["success"]


def test_get_with_query_string_is_accepted(sandbox):
    answer = requests.get(
        sandbox.url + "projects/read",
        params={"projectId": P_MOMENTUM},
        headers=auth_headers(CREDS, time.time()),
        timeout=5,
    )
    assert answer.json()["projects"][0]["name"] == "Live/Momentum"


def test_compile_and_deploy_move_on_with_time(sandbox):
    compile_id = ok(sandbox, "compile/create", {"projectId": P_MOMENTUM})["compileId"]
    assert ok(sandbox, "compile/read", {"projectId": P_MOMENTUM, "compileId": compile_id})["state"] == "InQueue"
    assert fails(sandbox, "live/create", create_body(P_MOMENTUM, compile_id)).startswith("Compile")
    sandbox.admin("advance", seconds=0.2)
    deploy_id = ok(sandbox, "live/create", create_body(P_MOMENTUM, compile_id))["deployId"]
    assert deploy_id.startswith("L-")
    assert ok(sandbox, "live/read", {"projectId": P_MOMENTUM})["status"] == "InQueue"
    nodes = ok(sandbox, "nodes/read", {"organizationId": ORG})["live"]
    assert [n["busy"] for n in nodes if n["id"] == NODE1] == [True]
    sandbox.admin("advance", seconds=0.2)
    read = ok(sandbox, "live/read", {"projectId": P_MOMENTUM, "deployId": deploy_id})
    assert read["status"] == "Running" and len(read["launched"]) == 19  # 'YYYY-MM-DD HH:MM:SS'
    listed = ok(sandbox, "live/list")["live"]
    assert listed[0]["launched"].endswith("Z")  # the list uses ISO-8601
    ok(sandbox, "live/update/liquidate", {"projectId": P_MOMENTUM})
    assert ok(sandbox, "live/read", {"projectId": P_MOMENTUM})["status"] == "Running"  # stopping takes time
    sandbox.admin("advance", seconds=0.2)
    assert ok(sandbox, "live/read", {"projectId": P_MOMENTUM})["status"] == "Liquidated"
    nodes = ok(sandbox, "nodes/read", {"organizationId": ORG})["live"]
    assert not any(n["busy"] for n in nodes)


def test_live_create_is_strict(sandbox):
    mine, other = built(sandbox, P_MOMENTUM), built(sandbox, P_MEANREV)
    assert "Compile id not found" in fails(sandbox, "live/create", create_body(P_MOMENTUM, other))
    assert "Live node not found" in fails(sandbox, "live/create", create_body(P_MOMENTUM, mine, node="LN-nope"))
    assert "Unknown brokerage id" in fails(
        sandbox, "live/create", create_body(P_MOMENTUM, mine, brokerage={"id": "Nope"})
    )
    missing = fails(
        sandbox,
        "live/create",
        create_body(P_MOMENTUM, mine, brokerage={"id": "InteractiveBrokersBrokerage", "ib-user-name": "u"}),
    )
    assert "ib-weekly-restart-utc-time" in missing
    assert "Project not found" in fails(sandbox, "live/create", create_body(1, mine))
    ok(sandbox, "live/create", create_body(P_MOMENTUM, mine))
    assert "already has an active live deployment" in fails(
        sandbox, "live/create", create_body(P_MOMENTUM, mine, node=NODE2)
    )
    assert "is busy" in fails(sandbox, "live/create", create_body(P_MEANREV, other))


def test_read_of_never_deployed_project(sandbox):
    assert "No live deployment found" in fails(sandbox, "live/read", {"projectId": P_MOMENTUM})
    assert "No live algorithm is running" in fails(sandbox, "live/update/stop", {"projectId": P_MOMENTUM})


def test_nodes_need_the_organization(sandbox):
    assert "Organization" in fails(sandbox, "nodes/read", {"organizationId": "other"})


@pytest.mark.parametrize("kind", ["error", "throttle"])
def test_fault_injection_per_endpoint(sandbox, kind):
    sandbox.admin("faults", once={kind: {"live/list": 1}})
    assert call(sandbox, "live/list").status_code == (500 if kind == "error" else 429)
    assert call(sandbox, "live/list").status_code == 200


def test_state_survives_restart(tmp_path):
    from tests.helpers import start_sandbox

    first = start_sandbox(data_dir=str(tmp_path))
    try:
        built(first, P_MOMENTUM)
    finally:
        first.server.shutdown()
        first.server.server_close()
    from qcdeploy.sandbox.seed import load_world

    world = load_world(None, str(tmp_path))
    assert len(world.compiles) == 1 and P_MOMENTUM in world.projects


def test_python_m_sandbox_reports_a_bad_seed_in_one_line(tmp_path):
    """The sandbox's own command (`python -m qcdeploy.sandbox`) turns a bad seed into one error line, as qcdeploy
    sandbox does, never a traceback."""
    import subprocess
    import sys

    seed = tmp_path / "seed.yaml"
    seed.write_text("projects: [unclosed\n")
    for argv in (["-m", "qcdeploy.sandbox"], ["-m", "qcdeploy", "sandbox"]):
        done = subprocess.run(
            [sys.executable, *argv, "--port", "0", "--seed", str(seed)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1, (argv, done.stderr)
        assert done.stderr.startswith("Error: ") and "Traceback" not in done.stderr, (argv, done.stderr)


def _settled_compile(sandbox, project_id):
    """A finished build without waiting: the compile is made older than the sandbox's delay."""
    compile_id = ok(sandbox, "compile/create", {"projectId": project_id})["compileId"]
    with sandbox.server.world.lock:
        sandbox.server.world.compiles[compile_id].created -= sandbox.server.world.delay
    return compile_id


def test_live_create_answers_source_api_v2(sandbox):
    """The real API's answer (the MCP server's real-API test), not "api"."""
    answer = ok(sandbox, "live/create", create_body(P_MOMENTUM, _settled_compile(sandbox, P_MOMENTUM)))
    assert answer["source"] == "api-v2" and answer["projectId"] == P_MOMENTUM


@pytest.mark.parametrize(
    ("brokerage", "missing"),
    [
        ({"id": "TradingTechnologiesBrokerage", "tt-account-name": "a"}, "tt-user-name"),
        ({"id": "TerminalLinkBrokerage", "terminal-link-connection-type": "SAPI"}, "terminal-link-server-port"),
        ({"id": "BloombergFixBrokerage", "bloomberg-fix-sender-sub-id": "s"}, "bloomberg-fix-environment"),
        (
            {"id": "TradeStationBrokerage", "trade-station-account-id": "a", "trade-station-environment": "paper"},
            "trade-station-refresh-token",
        ),
        ({"id": "TastytradeBrokerage", "tastytrade-account-number": "1"}, "tastytrade-refresh-token"),
        ({"id": "AlpacaBrokerage", "alpaca-environment": "paper"}, "alpaca-access-token"),
        ({"id": "ZerodhaBrokerage", "zerodha-api-key": "k"}, "zerodha-access-token"),
    ],
)
def test_live_create_requires_every_key_the_api_reference_lists(sandbox, brokerage, missing):
    body = create_body(P_MOMENTUM, _settled_compile(sandbox, P_MOMENTUM), brokerage=brokerage)
    error = fails(sandbox, "live/create", body)
    assert error.startswith(f"{brokerage['id']}: missing required setting(s)") and missing in error


def test_live_commands_reach_running_deployments(sandbox):
    """live/commands/create and /broadcast (lean-cli `cloud live command` / `broadcast`)."""
    ok(sandbox, "live/create", create_body(P_MOMENTUM, _settled_compile(sandbox, P_MOMENTUM)))
    ok(sandbox, "live/create", create_body(P_MEANREV, _settled_compile(sandbox, P_MEANREV), node=NODE2))
    ok(sandbox, "live/commands/create", {"projectId": P_MOMENTUM, "command": {"$type": "Rebalance", "to": 1}})
    ok(sandbox, "live/commands/broadcast", {"organizationId": ORG, "command": {"x": 1}, "excludeProjectId": P_MEANREV})
    with sandbox.server.world.lock:
        momentum, meanrev = (sandbox.server.world.active(p) for p in (P_MOMENTUM, P_MEANREV))
        assert momentum.commands == [{"$type": "Rebalance", "to": 1}, {"x": 1}] and meanrev.commands == []
    assert fails(sandbox, "live/commands/create", {"projectId": P_MOMENTUM}) == "command is required: a JSON object"
    stopped = fails(sandbox, "live/commands/create", {"projectId": P_PAIRS, "command": {}})
    assert stopped == f"No live deployment found for project {P_PAIRS}"


def test_files_read_answers_every_file_or_one(sandbox):
    every = ok(sandbox, "files/read", {"projectId": P_MOMENTUM})["files"]
    assert [f["name"] for f in every] == ["main.py"] and set(every[0]) >= {"name", "content", "modified", "isLibrary"}
    sandbox.admin("touch", projectId=P_MOMENTUM)  # main.py edited in the web IDE
    [edited] = ok(sandbox, "files/read", {"projectId": P_MOMENTUM, "name": "main.py"})["files"]
    assert edited["content"] != every[0]["content"]
    assert fails(sandbox, "files/read", {"projectId": P_MOMENTUM, "name": "nope.py"}) == "File not found: nope.py"
