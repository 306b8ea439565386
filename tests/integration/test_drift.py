"""drift (exit 0/2/1, reports) and status (health, JSON) through the CLI."""

from __future__ import annotations

import json

import pytest

from tests.helpers import NODE1, NODE3, P_MEANREV, P_MOMENTUM, P_PAIRS, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def fleet(cli, manifests):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0


def test_clean_fleet_has_no_drift(cli, manifests):
    fleet(cli, manifests)
    result = cli("drift", str(manifests))
    assert result.code == 0 and "No drift" in result.out


def test_crash_is_drift(cli, sandbox, manifests):
    fleet(cli, manifests)
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: margin call")
    result = cli("drift", "--format", "markdown", str(manifests))
    assert result.code == 2
    assert "<!-- qcdeploy-drift -->" in result.out and "### crashed (RuntimeError or DeployError) (1)" in result.out
    assert "Runtime Error: margin call" in result.out


def test_manual_redeploy_and_code_change_are_drift(cli, sandbox, manifests):
    fleet(cli, manifests)
    sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1, replace=True)
    sandbox.admin("touch", projectId=P_MEANREV)
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)
    result = cli("drift", "--format", "json", str(manifests))
    assert result.code == 2
    kinds = {(f["kind"], f["name"]) for f in json.loads(result.out)["findings"]}
    assert kinds == {("redeployed-outside", "momentum"), ("code-changed", "meanrev"), ("unmanaged", None)}
    quiet = cli("drift", "--format", "json", "--ignore-unmanaged", str(manifests))
    assert {f["kind"] for f in json.loads(quiet.out)["findings"]} == {"redeployed-outside", "code-changed"}


def test_stopped_outside_and_errors(cli, sandbox, manifests, monkeypatch):
    fleet(cli, manifests)
    sandbox.admin("stop", projectId=P_MEANREV, settled=True)
    assert "stopped-outside" in cli("drift", str(manifests)).out
    monkeypatch.setenv("QC_API_TOKEN", "wrong")
    assert cli("drift", str(manifests)).code == 1


def test_status_health_and_json(cli, sandbox, manifests):
    fleet(cli, manifests)
    write(manifests, "c.yaml", manifest("pairs", P_PAIRS, node="live-node-3", state="stopped"))
    sandbox.admin("crash", projectId=P_MEANREV, error="boom")
    text = cli("status", str(manifests)).out
    assert "UPTIME" in text and "Healthy" in text and "Degraded" in text and "Suspended" in text
    rows = {r["name"]: r for r in json.loads(cli("status", "--format", "json", str(manifests)).out)["deployments"]}
    assert rows["momentum"]["health"] == "Healthy" and rows["momentum"]["managed"] is True
    assert rows["meanrev"]["health"] == "Degraded" and rows["meanrev"]["last_error"] == "boom"
    assert rows["pairs"]["health"] == "Suspended" and rows["pairs"]["uptime"] == "-"
