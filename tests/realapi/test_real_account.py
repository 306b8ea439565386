"""Against a real QuantConnect account (pytest -m realapi): doctor, plan, a paper deployment, a parameter
change, a stop. Skipped unless QC_USER_ID, QC_API_TOKEN, QCDEPLOY_TEST_PAPER_NODE and QCDEPLOY_TEST_PROJECT
are set; see README, "Testing against a real account". It deploys paper trading (QuantConnectBrokerage) only
and stops what it started, even when a step fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

NEEDED = ("QC_USER_ID", "QC_API_TOKEN", "QCDEPLOY_TEST_PAPER_NODE", "QCDEPLOY_TEST_PROJECT")
pytestmark = [
    pytest.mark.realapi,
    pytest.mark.skipif(
        not all(os.environ.get(n) for n in NEEDED), reason=f"needs {', '.join(NEEDED)} (a real account)"
    ),
]


def qcdeploy(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QCDEPLOY_STATE": str(tmp / "state.json"), "QCDEPLOY_HEALTH_WINDOW": "60"}
    env.pop("QC_API_URL", None)  # the real API, never a sandbox left in the environment
    return subprocess.run(
        [sys.executable, "-m", "qcdeploy", *args], env=env, capture_output=True, text=True, timeout=3600
    )


def write(tmp: Path, **spec: object) -> Path:
    project = os.environ["QCDEPLOY_TEST_PROJECT"]
    body = {
        "project": int(project) if project.isdigit() else project,
        "node": os.environ["QCDEPLOY_TEST_PAPER_NODE"],
        "brokerage": {"id": "QuantConnectBrokerage"},
        **spec,
    }
    doc = {
        "apiVersion": "qcdeploy/v1",
        "kind": "LiveDeployment",
        "metadata": {"name": "qcdeploy-realapi"},
        "spec": body,
    }
    path = tmp / "manifests" / "realapi.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path.parent


def test_paper_deployment_lifecycle(tmp_path):
    manifests = write(tmp_path, parameters={"qcdeploy-test": "1"})
    doctor = qcdeploy(tmp_path, "doctor", str(manifests))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    plan = qcdeploy(tmp_path, "plan", str(manifests))
    assert plan.returncode == 0 and "+ qcdeploy-realapi" in plan.stdout, plan.stdout + plan.stderr
    try:
        created = qcdeploy(tmp_path, "apply", "--auto-approve", str(manifests))
        assert created.returncode == 0, created.stdout + created.stderr
        again = qcdeploy(tmp_path, "plan", "--detailed-exitcode", str(manifests))
        assert again.returncode == 0 and "No changes." in again.stdout, again.stdout + again.stderr
        write(tmp_path, parameters={"qcdeploy-test": "2"})
        changed = qcdeploy(tmp_path, "apply", "--auto-approve", str(manifests))
        assert changed.returncode == 0 and "-/+ qcdeploy-realapi" in changed.stdout, changed.stdout + changed.stderr
        assert "No changes." in qcdeploy(tmp_path, "plan", str(manifests)).stdout
    finally:
        write(tmp_path, parameters={"qcdeploy-test": "2"}, state="stopped")
        stopped = qcdeploy(tmp_path, "apply", "--auto-approve", str(manifests))
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    status = qcdeploy(tmp_path, "status", str(manifests))
    assert "Suspended" in status.stdout, status.stdout
