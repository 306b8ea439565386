"""Graceful drain: beforeStop's command reaches the running deployment before its stop; a refused one stops
nothing unless required: false; `qcdeploy command` sends one by hand and records it in the ledger's history."""

from __future__ import annotations

import json

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")
DRAIN = {"$type": "DrainCommand", "flatten": True}


def alpha(manifests, version, **spec):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": version}, **spec))


def test_the_command_reaches_the_deployment_before_its_replace_stops_it(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    alpha(manifests, "2", beforeStop={"command": DRAIN, "wait": "0.2s"})
    planned = cli("plan", str(manifests))
    assert 'before the stop: command {"$type":"DrainCommand","flatten":true}, then wait 0.2s (required)' in planned.out
    (change,) = json.loads(cli("plan", "--format", "json", str(manifests)).out)["changes"]
    assert change["before_stop"].startswith('command {"$type":"DrainCommand"')
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    old, new = sandbox.deployments(P_MOMENTUM)
    (received,) = old["received"]
    assert received["command"] == DRAIN and received["at"] <= old["stopRequested"]
    assert new["received"] == [] and new["settings"]["parameters"] == {"v": "2"}
    assert "before the stop: command sent, waited 0.2s" in result.out


def test_a_refused_command_stops_nothing(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    alpha(manifests, "2", beforeStop={"command": DRAIN, "wait": 0})
    sandbox.admin("refuse-commands", projectId=P_MOMENTUM, error="Algorithm does not accept commands")
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1
    assert "the beforeStop command was not accepted" in result.out and "Algorithm does not accept" in result.out
    (only,) = sandbox.deployments(P_MOMENTUM)
    assert only["status"] == "Running" and only["stopRequested"] is None
    with sandbox.server.world.lock:  # the project's parameters went back to what runs
        assert sandbox.server.world.projects[P_MOMENTUM].parameters == {"v": "1"}


def test_a_refused_command_that_is_not_required_stops_anyway(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(
        manifests,
        "alpha.yaml",
        manifest("alpha", P_MOMENTUM, state="stopped", beforeStop={"command": DRAIN, "required": False}),
    )
    sandbox.admin("refuse-commands", projectId=P_MOMENTUM, error="no OnCommand")
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert sandbox.active(P_MOMENTUM) == []
    assert "command refused" in result.out and "stopped anyway (beforeStop.required: false)" in result.out


def test_command_by_hand_is_sent_and_recorded(cli, sandbox, manifests, ledger_path):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    result = cli("command", str(manifests), "alpha", "--data", json.dumps(DRAIN))
    assert result.code == 0, result.text
    (dep,) = sandbox.active(P_MOMENTUM)
    assert [r["command"] for r in dep["received"]] == [DRAIN]
    (event,) = [e for e in json.loads(ledger_path.read_text())["history"] if e["event"] == "command"]
    assert event["name"] == "alpha" and event["deployId"] == dep["deployId"] and event["command"] == DRAIN


@pytest.mark.parametrize(("data", "message"), [("{nope", "--data is not JSON"), ("[1]", "must be a JSON object")])
def test_command_with_bad_data_is_a_clear_error(cli, sandbox, manifests, data, message):
    alpha(manifests, "1")
    result = cli("command", str(manifests), "alpha", "--data", data)
    assert result.code == 1 and message in result.err and "Traceback" not in result.text
    assert "live/commands/create" not in sandbox.calls()
