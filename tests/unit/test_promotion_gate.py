"""The paper-first gate as written and as reported: its backtest flag, its duration in words, the deployments
whose code cannot be compared, every differing parameter named, and a source ledger entry without parameters."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from qcdeploy.model import Action, LiveDeployment
from qcdeploy.planning.promotion import Gate, gate_from, problems, unchecked_code
from tests.builders import SALT, change, desired, entry, live, state

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def gate(**raw: object) -> Gate:
    found = gate_from({"from": "paper", "healthyFor": "24h", **raw}, "live.yaml")
    assert found is not None
    return found


def test_the_gate_requires_a_backtest_only_when_it_says_true():
    assert gate(backtest=True).backtest is True
    assert gate().backtest is False and gate(backtest="yes").backtest is False


@pytest.mark.parametrize(
    ("healthy_for", "said"),
    [("24h", "1d"), ("1h", "1h"), ("60m", "1h"), ("1m", "1m"), ("60s", "1m"), ("90s", "1.5m"), ("30s", "30s")],
)
def test_the_gate_says_its_duration_in_the_largest_whole_unit(healthy_for, said):
    assert gate(healthyFor=healthy_for).describe() == f"paper for {said}"


def test_only_creates_and_replaces_from_another_project_have_code_that_cannot_be_compared():
    source = {n: entry(desired(n, pid=1)) for n in ("moved", "same", "stopped")}
    changes = [
        change(Action.CREATE, "moved", desired=desired("moved", pid=2)),
        change(Action.REPLACE, "same", desired=desired("same", pid=1)),
        change(Action.CREATE, "new", desired=desired("new", pid=3)),
        change(Action.STOP, "stopped", desired=desired("stopped", pid=2)),
        change(Action.STOP, "gone", observed=live(4, "L-4")),
    ]
    assert unchecked_code(changes, source) == ["moved"]


def check(wanted, paper, launched=NOW - timedelta(days=2)):
    st = state(LiveDeployment(1, "L-paper", "Running", launched, None))
    return problems(gate(), [change(Action.REPLACE, "m", desired=wanted)], {"m": paper}, SALT, st, NOW)


def test_every_differing_parameter_is_named():
    paper = entry(desired("m", 1, parameters={"fast": "10", "slow": "20"}), deploy="L-paper")
    [said] = check(desired("m", 1, parameters={"fast": "11", "slow": "21"}), paper)
    assert "parameter(s) fast, slow differ" in said


def test_a_source_entry_recorded_without_parameters_compares_as_none():
    bare = entry(desired("m", 1), deploy="L-paper")
    bare = replace(bare, spec={k: v for k, v in bare.spec.items() if k != "parameters"})
    assert check(desired("m", 1), bare) == []
    assert "parameter(s) fast differ" in check(desired("m", 1, parameters={"fast": "1"}), bare)[0]


def test_a_launch_time_ahead_of_the_clock_has_run_no_time():
    paper = entry(desired("m", 1), deploy="L-paper")
    assert "has run 0s of the 1d needed" in check(desired("m", 1), paper, launched=NOW + timedelta(seconds=30))[0]


def test_a_gate_that_requires_a_backtest_holds_a_proven_spec_without_one():
    strict = gate(backtest=True)
    st = state(LiveDeployment(1, "L-paper", "Running", NOW - timedelta(days=2), None))

    def found(wanted, source):
        return problems(strict, [change(Action.REPLACE, "m", desired=wanted)], source, SALT, st, NOW)

    bare = desired("m", 1)
    proven = {"m": entry(bare, deploy="L-paper")}
    assert found(bare, proven) == [
        "m: the promotion gate requires a backtest gate (spec.gates.backtest), and it has none"
    ]
    tested = desired("m", 1, gates={"backtest": {"minSharpe": 1}})
    assert found(tested, {"m": entry(tested, deploy="L-paper")}) == []
    assert "no deployment named m" in found(bare, {})[0]  # the first reason stands
    assert problems(gate(), [change(Action.REPLACE, "m", desired=bare)], proven, SALT, st, NOW) == []
