"""The paper-first gate: `promotion: {from: paper, healthyFor: 24h}` on the live environment keeps
apply --env live from deploying a spec that has not run Running long enough in paper. Time passes through the
sandbox's `age` operation (its clock), never by sleeping."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.helpers import P_MOMENTUM, P_SPARE, SECRET

pytestmark = pytest.mark.usefixtures("env")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments"
DAY = 86400


@pytest.fixture
def tree(tmp_path, sandbox):
    sandbox.server.world.projects[P_SPARE].name = "Paper/Momentum"
    target = tmp_path / "deployments"
    shutil.copytree(EXAMPLE, target)
    live = target / "live.yaml"
    live.write_text(live.read_text().replace("spec:\n", "spec:\n  promotion: {from: paper, healthyFor: 24h}\n", 1))
    return target


def test_live_waits_until_the_same_spec_has_run_a_day_in_paper(cli, sandbox, tree):
    first = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert first.code == 1 and "no deployment named momentum in the paper environment's ledger" in first.err
    assert sandbox.active(P_MOMENTUM) == []
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    plan = cli("plan", "--env", "live", str(tree))
    assert "apply would be refused now: not yet promoted from paper for 1d" in plan.out
    young = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert young.code == 1 and re.search(r"its paper deployment has run \d+s of the 1d needed", young.err), young.err
    sandbox.admin("age", projectId=P_SPARE, seconds=DAY - 3600)
    almost = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert almost.code == 1 and "has run 23h of the 1d needed" in almost.err and sandbox.active(P_MOMENTUM) == []
    sandbox.admin("age", projectId=P_SPARE, seconds=3600)
    done = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert done.code == 0, done.err
    assert "only its parameters and health are compared" in done.err  # Paper/Momentum is another project
    assert len(sandbox.active(P_MOMENTUM)) == 1


def test_a_crashed_paper_deployment_or_other_parameters_are_not_promoted(cli, sandbox, tree):
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * DAY)
    base = tree / "base" / "momentum.yaml"
    base.write_text(base.read_text().replace("fast-period: 10", "fast-period: 12"))
    changed = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert (
        changed.code == 1 and "parameter(s) fast-period differ from those its paper deployment runs with" in changed.err
    )
    base.write_text(base.read_text().replace("fast-period: 12", "fast-period: 10"))
    sandbox.admin("crash", projectId=P_SPARE)
    crashed = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert crashed.code == 1 and "is RuntimeError, not Running" in crashed.err
    assert sandbox.active(P_MOMENTUM) == []


def test_live_may_set_its_own_position_size(cli, sandbox, tree):
    """live.yaml sets position-size 100 where paper runs 10: a parameter the environment sets is not compared."""
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * DAY)
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    [live] = sandbox.active(P_MOMENTUM)
    assert live["settings"]["parameters"]["position-size"] == "100"


def test_a_gate_naming_an_unknown_environment_is_a_clear_error(cli, tree):
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("from: paper", "from: staging"))
    result = cli("plan", "--env", "live", str(tree))
    assert result.code == 1 and "promotion.from names environment 'staging', which has no document" in result.err
    assert "Traceback" not in result.err


def test_no_secret_in_any_gate_output_or_ledger(cli, sandbox, tree, ledger_path):
    cli("apply", "--env", "live", "--auto-approve", str(tree))  # refused: no paper deployment yet
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    cli("plan", "--env", "live", "--format", "json", str(tree))
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * DAY)
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0  # the live brokerage is IB
    for run in cli.runs:
        assert SECRET not in run.out and SECRET not in run.err
    for ledger in ledger_path.parent.glob("*.json"):
        assert SECRET not in ledger.read_text()


def test_the_promotion_gate_can_require_a_backtest_gate(cli, sandbox, tree):
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("healthyFor: 24h}", "healthyFor: 24h, backtest: true}", 1))
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * DAY)
    refused = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert refused.code == 1 and "momentum: the promotion gate requires a backtest gate" in refused.err
    assert sandbox.active(P_MOMENTUM) == []
    gated = "    onStop: liquidate\n    gates: {backtest: {minSharpe: 1}}\n"
    live.write_text(live.read_text().replace("    onStop: liquidate\n", gated, 1))
    done = cli("apply", "--env", "live", "--auto-approve", str(tree))
    assert done.code == 0, done.text
    assert len(sandbox.active(P_MOMENTUM)) == 1 and "backtest gate passed" in done.err + done.out
