"""The guards apply keeps around every stop and create, each with a test that fails when the guard is removed:
the planned deployId is checked before a stop and waited on after it, protection covers `state: stopped`, a lost
create is read before it is sent again, a saved plan carries out only its own changes, and the API token is
scrubbed from the errors a user can cause."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qcdeploy.sandbox import admin as sandbox_admin
from qcdeploy.sandbox import endpoints as sandbox_endpoints
from tests.helpers import API_TOKEN, NODE1, NODE3, P_MEANREV, P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def by_hand(sandbox, op: str, **body) -> dict[str, Any]:
    """An admin operation (someone acting in the web UI) from inside an API call: the world's lock is held."""
    status, answer = sandbox_admin.handle(sandbox.server, op, body)
    assert status == 200 and answer["success"], answer
    return answer


def hook(monkeypatch, endpoint: str, before=None, after=None) -> None:
    """Run before/after (once) around the sandbox's first serving of endpoint."""
    handler, writes = sandbox_endpoints.ENDPOINTS[endpoint]
    done: list[bool] = []

    def hooked(world, body):
        first = not done
        done.append(True)
        if first and before:
            before()
        answer = handler(world, body)
        if first and after:
            after()
        return answer

    monkeypatch.setitem(sandbox_endpoints.ENDPOINTS, endpoint, (hooked, writes))


def test_a_deployment_replaced_since_the_plan_is_not_stopped(cli, sandbox, manifests, monkeypatch):
    """The plan reads the portfolio of what it will stop; right then someone redeploys the project by hand.
    Apply must refuse to stop a deployment it did not plan to stop."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    [planned] = sandbox.active(P_MOMENTUM)
    deployed = []
    hook(
        monkeypatch,
        "live/portfolio/read",
        before=lambda: deployed.append(by_hand(sandbox, "deploy", projectId=P_MOMENTUM, nodeId=NODE3, replace=True)),
    )
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, state="stopped"))
    result = cli("apply", "--auto-approve", str(manifests))
    assert deployed, "the hand deploy did not happen during the plan"
    assert result.code == 1
    assert (
        f"now runs {deployed[0]['deployId']}, not {planned['deployId']} as planned; nothing was stopped" in result.out
    )
    assert [d["deployId"] for d in sandbox.active(P_MOMENTUM)] == [deployed[0]["deployId"]]
    assert "live/update/stop" not in sandbox.calls() and "live/update/liquidate" not in sandbox.calls()


def test_the_stop_wait_follows_the_planned_deployment(cli, sandbox, manifests, monkeypatch):
    """Right after the stop lands, someone starts a new deployment of the project by hand: the planned one has
    stopped, so the wait ends at once and the change is done, rather than waiting on the newcomer."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    [planned] = sandbox.active(P_MOMENTUM)
    deployed: list[dict[str, Any]] = []

    def deploy_once_stopped(world) -> None:
        if not deployed and sandbox.server.calls.get("live/update/stop") and world.active(P_MOMENTUM) is None:
            deployed.append(by_hand(sandbox, "deploy", projectId=P_MOMENTUM, nodeId=NODE3))

    for endpoint in ("live/read", "live/list"):
        handler, writes = sandbox_endpoints.ENDPOINTS[endpoint]

        def hooked(world, body, handler=handler):
            deploy_once_stopped(world)
            return handler(world, body)

        monkeypatch.setitem(sandbox_endpoints.ENDPOINTS, endpoint, (hooked, writes))
    monkeypatch.setenv("QCDEPLOY_POLL_INTERVAL", "0.05")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, state="stopped", onStop="stop"))
    result = cli("apply", "--auto-approve", "--timeout", "3", str(manifests))
    assert result.code == 0, result.text
    assert f"{planned['deployId']} is Stopped" in result.out
    statuses = {d["deployId"]: d["status"] for d in sandbox.deployments(P_MOMENTUM)}
    assert deployed, "nobody deployed by hand after the stop"
    assert statuses[planned["deployId"]] == "Stopped" and list(statuses.values()).count("Running") == 1


def test_protect_refuses_state_stopped_too(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, protect=True))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, protect=True, state="stopped"))
    refused = cli("apply", "--auto-approve", str(manifests))
    assert refused.code == 1 and "protected deployment(s) momentum" in refused.err
    assert len(sandbox.active(P_MOMENTUM)) == 1
    allowed = cli("apply", "--auto-approve", "--allow-protected", str(manifests))
    assert allowed.code == 0, allowed.text
    assert sandbox.active(P_MOMENTUM) == []


def test_a_saved_plan_carries_out_only_its_own_changes(cli, sandbox, manifests, tmp_path):
    """After the plan was saved, another managed deployment crashed: a fresh plan would restart it, but the saved
    plan (what was reviewed) carries out only its own change and leaves the crash for the next plan."""
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 5}))
    saved = tmp_path / "plan.json"
    assert cli("plan", "--out", str(saved), str(manifests)).code == 0
    sandbox.admin("crash", projectId=P_MEANREV, error="boom")
    result = cli("apply", str(saved))
    assert result.code == 0, result.text
    [momentum] = sandbox.active(P_MOMENTUM)
    assert momentum["settings"]["parameters"] == {"fast": "5"}
    assert sandbox.active(P_MEANREV) == [] and len(sandbox.deployments(P_MEANREV)) == 1
    after = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert [(c["name"], c["action"]) for c in after["changes"]] == [("meanrev", "create")]


def test_the_api_token_is_scrubbed_from_expected_errors(cli, sandbox, manifests):
    """Nothing registers the token but qcdeploy itself: an error a user can cause (here a project named like
    the token) is printed through the scrubber."""
    write(manifests, "m.yaml", manifest("momentum", f"Live/{API_TOKEN}"))
    result = cli("plan", str(manifests))
    assert result.code == 1 and "Live/(sensitive)" in result.err, result.text
    assert API_TOKEN not in result.text


def test_node_busy_guard_names_the_holder(cli, sandbox, manifests):
    """A node taken by hand between plan and apply: the create is refused, nothing else is touched."""
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    saved = cli("plan", "--format", "json", str(manifests))
    assert saved.code == 0
    sandbox.admin("deploy", projectId=P_MEANREV, nodeId=NODE1)
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "busy" in result.text
    assert sandbox.deployments(P_MOMENTUM) == []


def test_a_lost_create_is_not_sent_again_while_its_state_cannot_be_read(cli, sandbox, manifests):
    """The create's answer is lost and the read that should tell fails too: not knowing is not "not deployed".
    Apply reads again, finds the deployment, and never sends a second create."""
    sandbox.admin("faults", once={"lose": {"live/create": 1}, "error": {"live/read": 5}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert "cannot tell whether it was deployed" in result.out and "it was deployed: L-" in result.out
    assert sandbox.calls()["live/create"] == 1
    assert len(sandbox.deployments(P_MOMENTUM)) == 1
