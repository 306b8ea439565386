"""The algorithm's own log where it explains a failure: apply's summary (text and JSON) and `status --logs`.

The sandbox's deployments write their log as LEAN's do (a start line, the algorithm's own lines, a crash's stack
trace); live/logs/read numbers lines across the project's deployments, 250 at most a call.
"""

from __future__ import annotations

import json

import pytest

from qcdeploy import redact
from tests.helpers import P_MOMENTUM, SECRET, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")
TRACE = "raise RuntimeError(error) in main.py: line 42"


def alpha(manifests, version):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, brokerage=ib_brokerage(), parameters={"v": version}))


def crash_next_version(sandbox):
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0.3, whenParameters={"v": "2"})
    sandbox.admin("log", projectId=P_MOMENTUM, onStart=True, lines=[f"Debug: login with {SECRET}", "Debug: warm-up"])


def test_a_crash_in_the_health_window_shows_the_last_log_lines_without_secrets(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    alpha(manifests, "2")
    crash_next_version(sandbox)
    result = cli("apply", "--auto-approve", str(manifests), "--health-window", "3")
    assert result.code == 1 and "ROLLED BACK alpha" in result.out
    crashed = next(d for d in sandbox.deployments(P_MOMENTUM) if d["status"] == "RuntimeError")
    summary = result.out[result.out.index("Apply finished") :]
    assert f"lines of {crashed['deployId']}'s log:" in summary
    assert TRACE in summary and "Debug: warm-up" in summary and "Debug: login with (sensitive)" in summary
    assert SECRET not in result.text


def test_the_json_summary_carries_the_failed_deployments_log(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    alpha(manifests, "2")
    crash_next_version(sandbox)
    result = cli("apply", "--auto-approve", str(manifests), "--health-window", "3", "--format", "json")
    assert result.code == 1 and SECRET not in result.text
    (entry,) = json.loads(result.out)["results"]
    assert entry["outcome"] == "rolled back"
    crashed = next(d for d in sandbox.deployments(P_MOMENTUM) if d["status"] == "RuntimeError")
    assert entry["log"]["deployId"] == crashed["deployId"]
    lines = entry["log"]["lines"]
    assert any(TRACE in line for line in lines) and any("login with (sensitive)" in line for line in lines)
    assert any(crashed["deployId"] in line for line in lines)  # its own start line, not the rollback's


def test_a_deployment_that_never_comes_up_shows_its_log(cli, sandbox, manifests):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: no data for SPY")
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1
    summary = result.out[result.out.index("Apply finished") :]
    assert "Error: DeployError: no data for SPY" in summary and "lines of L-" in summary


def test_a_healthy_apply_reads_no_log(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert sandbox.calls().get("live/logs/read", 0) == 0


def test_status_logs_reads_the_tail_of_this_deployment_a_page_at_a_time(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("log", projectId=P_MOMENTUM, lines=[f"old {i}" for i in range(40)])
    alpha(manifests, "2")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("log", projectId=P_MOMENTUM, lines=[f"line {i}" for i in range(600)])
    before = sandbox.calls().get("live/logs/read", 0)
    result = cli("status", str(manifests), "alpha", "--logs", "--log-lines", "300")
    assert result.code == 0, result.text
    shown = [line.split(" ", 5)[-1] for line in result.out.splitlines() if line.startswith("  | ")]
    assert shown == [f"line {i}" for i in range(300, 600)]
    assert sandbox.calls()["live/logs/read"] - before == 3  # the counts, then 250 + 50


def test_status_logs_never_shows_an_earlier_deployments_lines(cli, sandbox, manifests):
    alpha(manifests, "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("log", projectId=P_MOMENTUM, lines=[f"old {i}" for i in range(40)])
    alpha(manifests, "2")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("log", projectId=P_MOMENTUM, lines=[f"Debug: password {SECRET}"])
    redact.clear()  # status alone: it resolves the secrets set in its environment, so it knows what to scrub
    result = cli("status", str(manifests), "--logs", "--log-lines", "100", "--format", "json")
    assert SECRET not in result.text and "password (sensitive)" in result.out
    (row,) = json.loads(result.out)["deployments"]
    assert row["logs"]["deployId"] == row["deploy_id"]
    assert row["logs"]["lines"] and not any(" old " in line for line in row["logs"]["lines"])
