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


def _api():
    from qcdeploy.config import Credentials
    from qcdeploy.quantconnect.endpoints import Api
    from qcdeploy.quantconnect.transport import Client

    creds = Credentials(os.environ["QC_USER_ID"], os.environ["QC_API_TOKEN"], os.environ.get("QC_ORGANIZATION_ID", ""))
    return Api(Client("https://www.quantconnect.com/api/v2/", creds))


def _test_project(api):
    wanted = os.environ["QCDEPLOY_TEST_PROJECT"]
    from qcdeploy.quantconnect.decode import project

    every = [project(p) for p in api.projects(os.environ.get("QC_ORGANIZATION_ID", ""))]
    return next(p for p in every if str(p.project_id) == wanted or p.name == wanted)


def test_the_calls_issue_24_added(tmp_path):
    """projects/read paged (start/end: a page of 2 is 2 at most, and pages add up to the whole list), files/read
    of the test project, and projects/update with the project's name and its own parameters (a no-op)."""
    from qcdeploy.planning.codehash import content_hash

    api = _api()
    org = os.environ.get("QC_ORGANIZATION_ID", "")
    small = type(api)(api.client, projects_page=2)
    paged = {p["projectId"] for p in small.projects(org)}
    assert paged == {p["projectId"] for p in api.projects(org)}
    mine = _test_project(api)
    files = api.files(mine.project_id)
    assert files and all("name" in f and "content" in f for f in files)
    assert content_hash(files) == content_hash(api.files(mine.project_id))  # nothing edited: the same hash
    api.set_parameters(mine.project_id, mine.name, dict(mine.parameters))
    assert dict(_test_project(api).parameters) == dict(mine.parameters)
