"""The backtest gate: the exact compile about to go live is backtested with the manifest's parameters before
anything stops; a threshold that fails refuses that change alone; a pass is recorded and not run again."""

from __future__ import annotations

import json

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def deploy(manifests, name, pid, node, version, gate=None, **spec):
    if gate is not None:
        spec["gates"] = {"backtest": gate}
    write(manifests, f"{name}.yaml", manifest(name, pid, node=node, parameters={"v": version}, **spec))


def running(sandbox, pid):
    (active,) = sandbox.active(pid)
    return active["settings"]["parameters"]


def backtests(sandbox, pid=None):
    with sandbox.server.world.lock:
        return [b for b in sandbox.server.world.backtests if pid is None or b["projectId"] == pid]


def test_a_failing_backtest_refuses_its_change_and_stops_nothing_while_others_proceed(cli, sandbox, manifests):
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-1", "1")
    deploy(manifests, "beta", P_MEANREV, "live-node-2", "1")
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-1", "2", gate={"minSharpe": 2.0, "maxDrawdown": 0.25})
    deploy(manifests, "beta", P_MEANREV, "live-node-2", "2", gate={"minSharpe": 1.0})
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1, result.text
    assert "backtest gate failed" in result.out and "Sharpe 1.41 < 2 (fails), drawdown 12.3% ≤ 25%" in result.out
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Running"]  # nothing stopped
    assert running(sandbox, P_MOMENTUM) == {"v": "1"}
    assert running(sandbox, P_MEANREV) == {"v": "2"}  # the other change went ahead
    (tried,) = backtests(sandbox, P_MOMENTUM)
    assert tried["parameters"] == {"v": "2"}  # the manifest's parameters, with the compile about to go live
    assert "Fix the causes above" in result.out  # a refusal like a build error: a re-run fails the same way


def test_statistics_are_read_as_the_api_formats_them(cli, sandbox, manifests):
    sandbox.admin("backtest", projectId=P_MOMENTUM, statistics={"Drawdown": "31.500%", "Total Orders": "1,234"})
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-1", "1", gate={"maxDrawdown": 0.25, "minTrades": 1000})
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1
    assert "drawdown 31.5% > 25% (fails), orders 1234 ≥ 1000" in result.out
    assert sandbox.deployments(P_MOMENTUM) == []


def test_a_missing_statistic_or_a_short_period_fails_its_threshold(cli, sandbox, manifests):
    sandbox.admin("backtest", projectId=P_MOMENTUM, statistics={"Sharpe Ratio": "-"}, start="2024-03-01 00:00:00")
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-1", "1", gate={"minSharpe": 0, "start": "2024-01-01"})
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1
    assert "Sharpe unknown < 0 (fails)" in result.out and "backtest start 2024-03-01 > 2024-01-01 (fails)" in result.out


def test_a_pass_is_recorded_and_not_run_again_for_the_same_code_and_parameters(cli, sandbox, manifests, ledger_path):
    gate = {"minSharpe": 1.0, "maxDrawdown": 0.25}
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-1", "1", gate=gate)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    (first,) = backtests(sandbox)
    (record,) = json.loads(ledger_path.read_text())["backtests"].values()
    assert record["backtestId"] == first["backtestId"] and record["compileId"] == first["compileId"]
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-2", "1", gate=gate)  # a replace: new compile, same code
    planned = cli("plan", str(manifests))
    assert f"backtest gate: passed for compile {first['compileId']} (Sharpe 1.41 ≥ 1" in planned.out, planned.out
    link = f"(https://www.quantconnect.com/project/{P_MOMENTUM}/{first['backtestId']})"
    assert f"[The backtest that passed its gate]{link}" in cli("plan", "--format", "markdown", str(manifests)).out
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert len(backtests(sandbox)) == 1  # not run again
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-2", "2", gate=gate)  # new parameters: new evidence
    assert "backtest gate: will run" in cli("plan", str(manifests)).out
    (change,) = json.loads(cli("plan", "--format", "json", str(manifests)).out)["changes"]
    assert change["backtest_gate"] == "will run"
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert len(backtests(sandbox)) == 2 and backtests(sandbox)[-1]["parameters"] == {"v": "2"}


def test_an_environment_default_gates_every_deployment(cli, sandbox, manifests):
    deploy(manifests, "alpha", P_MOMENTUM, "live-node-1", "1")
    write(
        manifests,
        "env-live.yaml",
        {
            "apiVersion": "qcdeploy/v1",
            "kind": "Environment",
            "metadata": {"name": "live"},
            "spec": {"defaults": {"gates": {"backtest": {"minSharpe": 5}}}},
        },
    )
    result = cli("apply", "--env", "live", "--auto-approve", str(manifests))
    assert "Sharpe 1.41 < 5 (fails)" in result.out, result.text
    assert sandbox.deployments(P_MOMENTUM) == []


def test_max_backtests_bounds_the_backtests_in_flight(cli, sandbox, manifests):
    for name, pid, node in (("alpha", P_MOMENTUM, "live-node-1"), ("beta", P_MEANREV, "live-node-2")):
        deploy(manifests, name, pid, node, "1", gate={"minSharpe": 1.0})
    assert cli("apply", "--auto-approve", str(manifests), "--max-backtests", "1").code == 0
    first, second = sorted(backtests(sandbox), key=lambda b: b["created"])
    with sandbox.server.world.lock:
        delay = sandbox.server.world.delay
    assert second["created"] >= first["created"] + delay  # the second began only once the first had completed
