"""A replace never leaves a strategy without a running deployment unless it says FLAT.

Every test checks afterwards: each planned deployment runs the new spec or the old one again; nothing is down
without a FLAT line; never two deployments for one planned create; a second apply, once the cause is gone,
finishes the change.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, P_PAIRS, P_SPARE, SECRET, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")
FLEET = {"alpha": (P_MOMENTUM, "live-node-1"), "beta": (P_MEANREV, "live-node-2"), "gamma": (P_PAIRS, "live-node-3")}


def fleet(manifests, version, only=None, **spec):
    for name, (pid, node) in FLEET.items():
        if only is None or name in only:
            write(manifests, f"{name}.yaml", manifest(name, pid, node=node, parameters={"v": version}, **spec))


def apply(cli, manifests, *extra):
    return cli("apply", "--auto-approve", str(manifests), *extra)


def running(sandbox, pid):
    """The parameters of the one active deployment of a project (and that there is exactly one)."""
    active = sandbox.active(pid)
    assert len(active) == 1, active
    return active[0]["settings"]["parameters"]


def ledger(path):
    return json.loads(path.read_text())["deployments"]


def test_case1_unknown_brokerage_id_is_refused_before_anything_stops(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, brokerage={"id": "FooBrokerage"}))
    checked = cli("validate", str(manifests))
    assert checked.code == 1 and "alpha.yaml:" in checked.err
    assert "spec.brokerage.id: 'FooBrokerage' is not a known brokerage id" in checked.err
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, brokerage={"id": "InteractivBrokersBrokerage"}))
    assert "did you mean 'InteractiveBrokersBrokerage'?" in cli("validate", str(manifests)).err
    refused = apply(cli, manifests)
    assert refused.code == 1 and "Traceback" not in refused.text
    assert running(sandbox, P_MOMENTUM) == {"v": "1"}  # untouched


def test_case2_exported_paper_deployment_replaces_cleanly(cli, sandbox, manifests, ledger_path):
    sandbox.admin(
        "deploy", projectId=P_SPARE, nodeId="LN-2a1b2c3d4e5f60718293a4b5c6d7e8f9", settings={"parameters": {"k": "1"}}
    )
    assert sandbox.deployments(P_SPARE)[0]["brokerage"] == "QuantConnectBrokerage"
    assert cli("export", "--out", str(manifests), "--adopt").code == 0
    text = (manifests / "live-spare.yaml").read_text()
    assert "id: QuantConnectBrokerage" in text and "PaperBrokerage" not in text
    assert "No changes." in cli("plan", str(manifests)).out
    (manifests / "live-spare.yaml").write_text(text.replace("k: '1'", "k: '2'"))
    result = apply(cli, manifests)
    assert result.code == 0, result.text
    assert running(sandbox, P_SPARE) == {"k": "2"}


def test_case3_garbled_answers_after_liquidations_are_contained(cli, sandbox, manifests):
    fleet(manifests, 1, onReplace="liquidate")
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, onReplace="liquidate")
    sandbox.admin(
        "faults",
        once={"truncate": {"live/update/liquidate": 2, "live/create": 1}, "bad-gzip": {"live/read": 2}},
    )
    result = apply(cli, manifests)
    assert "Internal error" not in result.text and "Traceback" not in result.text
    assert "Apply finished:" in result.out
    assert result.code == 0, result.text
    for pid, _ in FLEET.values():
        assert running(sandbox, pid) == {"v": "2"}
        assert [d["status"] for d in sandbox.deployments(pid)] == ["Liquidated", "Running"]
    assert "No changes." in cli("plan", str(manifests)).out


def test_case4_non_finite_number_is_a_validate_error(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    path = manifests / "alpha.yaml"
    path.write_text(path.read_text().replace("id: QuantConnectBrokerage", "id: QuantConnectBrokerage\n    x: .inf"))
    result = apply(cli, manifests)
    assert result.code == 1 and "alpha.yaml:" in result.err and "is not a finite number" in result.err
    assert running(sandbox, P_MOMENTUM) == {"v": "1"}


def test_case5_reads_failing_right_after_the_stop_do_not_abandon_the_replace(cli, sandbox, manifests, monkeypatch):
    monkeypatch.setenv("QCDEPLOY_RETRIES", "1")
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, only={"alpha"})
    sandbox.admin("faults", once={"error": {"live/read": 6}}, armedBy="live/update/stop")
    result = apply(cli, manifests, "--timeout", "20")
    assert "Traceback" not in result.text
    assert result.code == 0, result.text
    assert running(sandbox, P_MOMENTUM) == {"v": "2"}


def test_case6_lost_create_answer_and_a_crash_at_once_is_reported_not_recreated(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, only={"alpha"})
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0, whenParameters={"v": "2"})
    # every answer takes longer than the sandbox's start delay: the read after the lost create already sees the crash
    sandbox.admin("faults", once={"lose": {"live/create": 1}}, latency=0.2)
    result = apply(cli, manifests)
    assert result.code == 1
    sandbox.admin("faults", latency=0)
    assert "it was deployed: L-" in result.out and "(RuntimeError)" in result.out, result.out
    assert "RuntimeError" in result.out and "Runtime Error: the algorithm crashed" in result.out
    statuses = [(d["status"], d["settings"]["parameters"]) for d in sandbox.deployments(P_MOMENTUM)]
    # old stopped, one new (crashed, never created twice), then the old spec back
    assert statuses == [("Stopped", {"v": "1"}), ("RuntimeError", {"v": "2"}), ("Running", {"v": "1"})]
    assert "ROLLED BACK alpha to " in result.out, result.out
    sandbox.admin("break-deploy", projectId=P_MOMENTUM)
    assert apply(cli, manifests).code == 0
    assert running(sandbox, P_MOMENTUM) == {"v": "2"}


def test_case6_plain_create_with_lost_answer_and_crash_makes_one_deployment(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0)
    sandbox.admin("faults", once={"lose": {"live/create": 1}})
    result = apply(cli, manifests)
    assert result.code == 1 and "ended in RuntimeError" in result.out
    assert len(sandbox.deployments(P_MOMENTUM)) == 1
    assert "FLAT" not in result.out  # nothing ran before: nothing was taken down


def rotate(manifests, variable):
    write(
        manifests,
        "alpha.yaml",
        manifest("alpha", P_MOMENTUM, brokerage=ib_brokerage(f"${{env:{variable}}}"), parameters={"v": "1"}),
    )


def test_case7_refused_new_credentials_roll_back_to_the_old_ones(cli, sandbox, manifests, monkeypatch, ledger_path):
    rotate(manifests, "IB_PASSWORD")
    assert apply(cli, manifests).code == 0
    monkeypatch.setenv("IB_PASSWORD_NEW", "typo-in-the-new-password")
    sandbox.admin("refuse-login", value="typo-in-the-new-password")
    rotate(manifests, "IB_PASSWORD_NEW")
    result = apply(cli, manifests)
    assert result.code == 1
    assert "ROLLED BACK alpha to " in result.out and "Brokerage login failed" in result.out
    assert "FLAT" not in result.out
    [back] = sandbox.active(P_MOMENTUM)
    assert ledger(ledger_path)["alpha"]["deployId"] == back["deployId"]
    assert "-/+ alpha" in cli("plan", str(manifests)).out  # the wanted change shows again
    monkeypatch.setenv("IB_PASSWORD_NEW", "the-right-new-password")
    assert apply(cli, manifests).code == 0
    assert len(sandbox.active(P_MOMENTUM)) == 1
    for run in cli.runs:
        assert "typo-in-the-new-password" not in run.text and SECRET not in run.text


def test_case7_rollback_impossible_says_flat_first(cli, sandbox, manifests, monkeypatch):
    rotate(manifests, "IB_PASSWORD")
    assert apply(cli, manifests).code == 0
    monkeypatch.setenv("IB_PASSWORD", "typo-in-the-same-variable")
    sandbox.admin("refuse-login", value="typo-in-the-same-variable")
    result = apply(cli, manifests, "--format", "json")
    assert result.code == 1
    note = "note: if the new deployment fails, a rollback uses current secrets (IB_PASSWORD has changed since it ran)"
    assert result.err.index(note) < result.err.index("stop L-")  # said before anything stopped
    doc = json.loads(result.out)
    [flat] = doc["flat"]
    assert flat["name"] == "alpha" and "the rollback failed too" in flat["why"]
    assert sandbox.active(P_MOMENTUM) == []
    text = apply(cli, manifests)  # a create with the wrong password: refused again
    assert text.code == 1
    monkeypatch.setenv("IB_PASSWORD", "fixed-password")
    assert apply(cli, manifests).code == 0
    assert len(sandbox.active(P_MOMENTUM)) == 1


def test_no_rollback_reports_flat_in_the_first_summary_line(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, only={"alpha"})
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: no data", whenParameters={"v": "2"})
    result = apply(cli, manifests, "--no-rollback")
    summary = result.out[result.out.index("\n\nFLAT") + 2 :]
    assert summary.startswith("FLAT alpha: no deployment is running (") and "--no-rollback" in summary
    assert sandbox.active(P_MOMENTUM) == []


def test_health_window_catches_a_crash_after_running(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, only={"alpha"})
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0.3, whenParameters={"v": "2"})
    result = apply(cli, manifests, "--health-window", "3")
    assert result.code == 1
    assert "within 3s of Running" in result.out and "ROLLED BACK alpha" in result.out
    assert running(sandbox, P_MOMENTUM) == {"v": "1"}


def test_failed_wave_halts_the_rollout(cli, sandbox, manifests):
    fleet(manifests, 1)
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: boom", whenParameters={"v": "2"})
    result = apply(cli, manifests, "--max-unavailable", "1")
    assert result.code == 1
    assert "rollout halted: alpha failed" in result.out
    assert "1 rolled back, 0 failed, 2 not attempted" in result.out
    assert running(sandbox, P_MOMENTUM) == {"v": "1"}
    assert running(sandbox, P_MEANREV) == {"v": "1"} and running(sandbox, P_PAIRS) == {"v": "1"}
    assert len(sandbox.deployments(P_MEANREV)) == 1  # never touched


def test_redirected_create_sends_nothing_elsewhere_and_rolls_back(cli, sandbox, manifests):
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, only={"alpha"})
    sandbox.admin("faults", once={"redirect": {"live/create": 1}})
    result = apply(cli, manifests)
    assert result.code == 1 and "a redirect to 127.0.0.2:9" in result.out
    assert "ROLLED BACK alpha" in result.out
    assert running(sandbox, P_MOMENTUM) == {"v": "1"}
    assert apply(cli, manifests).code == 0 and running(sandbox, P_MOMENTUM) == {"v": "2"}


def test_fleet_wide_replace_is_not_empty(cli, sandbox, manifests):
    fleet(manifests, 1)
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2)
    result = apply(cli, manifests, "--max-unavailable", "2")
    assert result.code == 0, result.text
    assert all(running(sandbox, pid) == {"v": "2"} for pid, _ in FLEET.values())


def test_rollback_whose_stop_of_the_stuck_deployment_loses_its_answer_still_decides_flat(cli, sandbox, manifests):
    """The stop of a new deployment that never came up is carried out but its answer is lost (a 502 after the
    fact): both deployments end Stopped, and the summary must say FLAT, not fail with `"flat": []`."""
    fleet(manifests, 1, only={"alpha"})
    assert apply(cli, manifests).code == 0
    fleet(manifests, 2, only={"alpha"})
    sandbox.admin("slow-stops", seconds=0)
    sandbox.admin("slow-starts", seconds=3600)  # the new deployment stays InQueue past --timeout
    sandbox.server.calls.clear()
    sandbox.admin("faults", once={"lose": {"live/update/stop": 1}}, armedBy="live/create")
    result = apply(cli, manifests, "--timeout", "2", "--format", "json")
    summary = json.loads(result.out)
    assert result.code == 1 and sandbox.active(P_MOMENTUM) == []
    assert [f["name"] for f in summary["flat"]] == ["alpha"], summary
    assert "the rollback failed too" in summary["flat"][0]["why"]
