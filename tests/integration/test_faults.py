"""Apply through every kind of fault, then check the sandbox: nothing duplicated, lost, or stopped by mistake."""

from __future__ import annotations

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, P_PAIRS, manifest, write

pytestmark = pytest.mark.usefixtures("env")
PROJECTS = {
    "momentum": (P_MOMENTUM, "live-node-1"),
    "meanrev": (P_MEANREV, "live-node-2"),
    "pairs": (P_PAIRS, "live-node-3"),
}
FAULTS = {
    "errors": {"error_rate": 0.25},
    "throttling": {"throttle_rate": 0.25},
    "lost-answers": {"lose_rate": 0.5},
    "dropped-connections": {"drop_rate": 0.25},
    "latency": {"latency": 0.05},
    "everything": {"error_rate": 0.1, "throttle_rate": 0.1, "lose_rate": 0.3, "drop_rate": 0.1},
}


def write_all(manifests, version):
    for name, (pid, node) in PROJECTS.items():
        write(manifests, f"{name}.yaml", manifest(name, pid, node=node, parameters={"version": version}))


def converge(cli, manifests, runs=8):
    """Apply until it succeeds; every run must leave the fleet in a safe state, which the caller checks."""
    outputs = []
    for _ in range(runs):
        result = cli("apply", "--auto-approve", "--allow-empty", str(manifests))
        outputs.append(result.text)
        assert "Traceback" not in result.text
        if result.code == 0:
            return outputs
    raise AssertionError("apply did not converge:\n" + "\n-----\n".join(outputs[-2:]))


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_apply_under_faults(cli, sandbox, manifests, monkeypatch, faults):
    monkeypatch.setenv("QCDEPLOY_RETRY_MAX_SECONDS", "20")
    write_all(manifests, 1)
    sandbox.admin("faults", **faults)
    outputs = converge(cli, manifests)
    write_all(manifests, 2)
    outputs += converge(cli, manifests)
    sandbox.admin("faults", error_rate=0, throttle_rate=0, lose_rate=0, drop_rate=0, latency=0)

    for name, (pid, _) in PROJECTS.items():
        deployments = sandbox.deployments(pid)
        statuses = [d["status"] for d in deployments]
        # one create and one replace: two deployments, the first stopped (never liquidated), the second running.
        # A replace that a fault made fail is rolled back (one more deployment, the old spec) and redone by the next
        # run; nothing else may add one: a duplicate create is the bug this test is for.
        rollbacks = sum(f"ROLLED BACK {name} " in text for text in outputs)
        assert statuses == ["Stopped"] * (1 + 2 * rollbacks) + ["Running"] or (
            rollbacks and statuses == ["Stopped"] * (1 + rollbacks) + ["Running"]
        ), (name, statuses, rollbacks)
        assert deployments[-1]["settings"]["parameters"] == {"version": "2"}
    assert "No changes." in cli("plan", str(manifests)).out
