"""The example GitHub workflows, as written: their shell steps run against the sandbox.

A pull request's plan job (no broker secrets) saves plan.json; after the merge the apply job carries out exactly
that plan; a later run of the drift job finds nothing. What GitHub itself does (checkout, the artifact hand-over,
comments) is simulated: the install step is skipped, since qcdeploy is already installed here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import API_TOKEN, ORG, P_MOMENTUM, SECRET, USER_ID

pytestmark = pytest.mark.usefixtures("env")
ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "examples" / "github-workflows"


def git(cwd: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def steps(workflow: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    [job] = doc["jobs"].values()
    env = {k: str(v) for k, v in doc["env"].items() if "${{" not in str(v)}
    return env, [s for s in job["steps"] if "run" in s and s.get("name") != "Install qcdeploy"]


def run_workflow(workflow: str, repo: Path, sandbox, secrets: dict[str, str]) -> tuple[dict[str, str], str, int]:
    """Each run step as GitHub runs it (bash -eo pipefail); returns the step outputs, the summary, and the exit
    code of the first step that failed (0: none)."""
    env_vars, run_steps = steps(workflow)
    summary, outputs = repo / "summary.md", repo / "outputs.txt"
    for f in (summary, outputs):
        f.write_text("")
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(repo)),
        **{k: os.environ[k] for k in os.environ if k.startswith("GIT_")},
        **env_vars,
        "QC_API_URL": sandbox.url,
        "QC_USER_ID": USER_ID,
        "QC_API_TOKEN": API_TOKEN,
        "QC_ORGANIZATION_ID": ORG,
        "QCDEPLOY_POLL_INTERVAL": "0.05",
        "QCDEPLOY_HEALTH_WINDOW": "0",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        **secrets,
    }
    for step in run_steps:
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=repo, env=env
        )
        if done.returncode:
            return _outputs(outputs), summary.read_text(), done.returncode
    return _outputs(outputs), summary.read_text(), 0


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """The manifest repository on main, pushed to a bare origin (the ledger goes to its qcdeploy-state branch)."""
    for key, value in (("NAME", "CI"), ("EMAIL", "ci@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    origin, work = tmp_path / "origin.git", tmp_path / "repo"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    shutil.copytree(ROOT / "examples" / "manifests", work / "deployments")
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "manifests")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    return work


def test_pull_request_plan_then_merge_applies_exactly_that_plan(repo, sandbox):
    outputs, summary, failed = run_workflow("qcdeploy-plan.yml", repo, sandbox, {})  # no broker secret in a PR
    assert failed == 0 and outputs["exitcode"] == "2"  # changes to review
    assert (repo / "plan.json").is_file() and "qcdeploy plan" in summary
    assert "sensitive, not set here" in (repo / "plan.md").read_text()
    assert sandbox.deployments() == []  # planning changed nothing
    _, summary, failed = run_workflow("qcdeploy-apply.yml", repo, sandbox, {"IB_PASSWORD": SECRET})
    assert failed == 0, summary
    assert "Carrying out the plan reviewed on the pull request." in summary
    assert len(sandbox.active(P_MOMENTUM)) == 1
    assert SECRET not in summary + (repo / "apply.log").read_text()
    outputs, summary, failed = run_workflow("qcdeploy-drift.yml", repo, sandbox, {})
    assert failed == 0 and outputs["exitcode"] == "0", summary


def test_a_plan_that_went_stale_before_the_merge_changes_nothing(repo, sandbox):
    assert run_workflow("qcdeploy-plan.yml", repo, sandbox, {})[2] == 0
    sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId="LN-0a1b2c3d4e5f60718293a4b5c6d7e8f9")  # someone was faster
    failed = run_workflow("qcdeploy-apply.yml", repo, sandbox, {"IB_PASSWORD": SECRET})[2]
    assert failed == 1
    log = (repo / "apply.log").read_text()
    assert "plan is stale" in log and "Nothing was changed" in log
    assert len(sandbox.deployments()) == 1  # only the one deployed by hand
