"""The paper-first gate's rules with an injected clock."""

from __future__ import annotations

from dataclasses import replace as replace_entry
from datetime import datetime, timedelta, timezone

import pytest

from qcdeploy.errors import ConfigError
from qcdeploy.model import Action, LiveDeployment, Reason, Why
from qcdeploy.planning.promotion import gate_from, own_parameters, problems
from tests.builders import SALT, change, desired, entry, state


def because(text: str) -> Reason:
    return Reason(Why.FIELD_CHANGED, text)


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "seconds"), [("24h", 86400), ("90m", 5400), ("2d", 172800), ("1.5h", 5400), ("30s", 30)]
)
def test_durations(text, seconds):
    gate = gate_from({"from": "paper", "healthyFor": text}, "live.yaml")
    assert gate is not None and gate.healthy_for == seconds


@pytest.mark.parametrize(
    "raw", [{"from": "paper"}, {"from": "paper", "healthyFor": "a day"}, "paper", {"healthyFor": "1h"}]
)
def test_a_bad_gate_is_named(raw):
    with pytest.raises(ConfigError, match=r"live\.yaml: promotion"):
        gate_from(raw, "live.yaml")


def test_own_parameters_are_the_environments_defaults_and_patch():
    spec = {"defaults": {"parameters": {"size": 1}}, "deployments": {"a": {"parameters": {"risk": 2}}, "b": {}}}
    assert own_parameters(spec, "a") == {"size", "risk"} and own_parameters(spec, "b") == {"size"}


def test_problems_need_the_same_spec_running_long_enough():
    d = desired("momentum", 1, parameters={"fast": "10"})
    paper = entry(d, deploy="L-paper")
    gate = gate_from({"from": "paper", "healthyFor": "24h"}, "live.yaml")
    assert gate is not None
    launched = NOW - timedelta(hours=30)

    def check(status="Running", now=NOW, wanted=d, own=None):
        st = state(LiveDeployment(1, "L-paper", status, launched, None))
        c = change(Action.CREATE, "momentum", "new", desired=wanted)
        return problems(gate, [c], {"momentum": paper}, SALT, st, now, own)

    assert check() == []
    young = check(now=launched + timedelta(hours=6))[0]
    assert "has run 6h of the 1d needed" in young
    assert f"promoted from {launched + timedelta(days=1):%Y-%m-%d %H:%M} UTC if it keeps running" in young
    assert "is RuntimeError, not Running" in check(status="RuntimeError")[0]
    other = desired("momentum", 1, parameters={"fast": "12"})
    assert "parameter(s) fast differ" in check(wanted=other)[0]
    assert check(wanted=other, own={"momentum": {"fast"}}) == []  # the environment sets it itself
    newer = desired("momentum", 1, modified=NOW, parameters={"fast": "10"})
    assert "the project's code changed since its paper deployment was made" in check(wanted=newer)[0]
    assert problems(gate, [change(Action.CREATE, "momentum", desired=d)], {}, SALT, state(), NOW) == [
        "momentum: no deployment named momentum in the paper environment's ledger (apply it there first: qcdeploy apply --env paper momentum)"
    ]


def test_the_gate_checks_replaces_and_every_change_after_a_stop():
    """A replace deploys a spec as a create does; a stop earlier in the plan must not end the check."""
    gate = gate_from({"from": "paper", "healthyFor": "24h"}, "live.yaml")
    assert gate is not None
    unproven = desired("beta", 2, parameters={"fast": "12"})
    stop = change(Action.STOP, "alpha", "state: stopped")
    replace_ = change(Action.REPLACE, "beta", "parameters changed", desired=unproven)
    create = change(Action.CREATE, "gamma", "new", desired=desired("gamma", 3))
    found = problems(gate, [stop, replace_, create], {}, SALT, state(), NOW)
    assert found == [
        "beta: no deployment named beta in the paper environment's ledger (apply it there first: qcdeploy apply --env paper beta)",
        "gamma: no deployment named gamma in the paper environment's ledger (apply it there first: qcdeploy apply --env paper gamma)",
    ]


def test_the_gate_compares_the_spec_and_health_at_their_edges():
    gate = gate_from({"from": "paper", "healthyFor": "24h"}, "live.yaml")
    assert gate is not None
    secret = desired("momentum", 1, parameters={"fast": "10", "key": "s3cret"}, sensitive=[("parameters", "key")])
    paper = entry(secret, deploy="L-paper")

    healthy = (LiveDeployment(1, "L-paper", "Running", NOW - timedelta(hours=24), None),)

    def check(wanted=secret, deps=healthy):
        return problems(
            gate, [change(Action.REPLACE, "momentum", desired=wanted)], {"momentum": paper}, SALT, state(*deps), NOW
        )

    assert check() == []  # exactly healthyFor, and a secret compared as hashed with the ledger's salt
    assert check(deps=()) == ["momentum: its paper deployment L-paper is not running, not Running"]
    redeployed = (LiveDeployment(1, "L-by-hand", "Running", NOW - timedelta(days=3), None),)
    assert check(deps=redeployed) == ["momentum: its paper deployment L-paper is not running, not Running"]
    more = desired(
        "momentum", 1, parameters={"fast": "10", "key": "s3cret", "slow": "5"}, sensitive=[("parameters", "key")]
    )
    assert "parameter(s) slow differ" in check(wanted=more)[0]
    pinned = desired(
        "momentum", 1, compile="abc-def", parameters={"fast": "10", "key": "s3cret"}, sensitive=[("parameters", "key")]
    )
    assert "compile abc-def is not the one its paper deployment runs (c-1)" in check(wanted=pinned)[0]
    same = desired(
        "momentum", 1, compile="c-1", parameters={"fast": "10", "key": "s3cret"}, sensitive=[("parameters", "key")]
    )
    assert check(wanted=same) == []


def test_a_stop_is_never_held_by_the_gate():
    gate = gate_from({"from": "paper", "healthyFor": "24h"}, "live.yaml")
    assert gate is not None
    stop = change(Action.STOP, "momentum", "state: stopped", desired=desired("momentum", 1, state="stopped"))
    assert problems(gate, [stop], {}, SALT, state(), NOW) == []


def test_own_parameters_without_deployments_or_with_an_empty_patch():
    assert own_parameters({"defaults": {"parameters": {"size": 1}}}, "a") == {"size"}
    assert own_parameters({"deployments": {"a": None}}, "a") == set()


def test_a_secret_the_source_ledger_hashed_in_the_legacy_scheme_still_compares_equal():
    from qcdeploy.planning.fingerprint import secret_hash

    gate = gate_from({"from": "paper", "healthyFor": "1h"}, "live.yaml")
    assert gate is not None
    d = desired("momentum", 1, parameters={"key": "s3cret"}, sensitive=[("parameters", "key")])
    paper = entry(d, deploy="L-paper")
    legacy = {**paper.spec, "parameters": {"key": {"$sensitive": secret_hash("s3cret", SALT, "scrypt")}}}
    st = state(LiveDeployment(1, "L-paper", "Running", NOW - timedelta(hours=2), None))
    c = change(Action.REPLACE, "momentum", desired=d)
    assert problems(gate, [c], {"momentum": replace_entry(paper, spec=legacy)}, SALT, st, NOW) == []
