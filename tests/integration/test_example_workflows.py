"""The example GitHub workflows, as written, with this repository's action: a pull request's plan (one comment and
one saved plan per environment, no broker secrets), the merge's apply of exactly those plans, the drift check.
With and without environments. tests/actions_runner.py runs them; GitHub's REST API is tests/github_stub.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.actions_runner import Runner
from tests.envrepo import environment_repo
from tests.github_stub import TOKEN, GitHubStub
from tests.helpers import API_TOKEN, NODE1, ORG, P_MOMENTUM, P_SPARE, SECRET, USER_ID

pytestmark = pytest.mark.usefixtures("env")
ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "examples" / "github-workflows"
PR, MERGE, HEAD = 7, "c0ffee", "abc123"
DAY = 86400


def git(cwd: Path, *args: str) -> None:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def origin(tmp_path, monkeypatch):
    """A bare origin and a clone of it (the ledgers go to its qcdeploy-state branches)."""
    for key, value in (("NAME", "CI"), ("EMAIL", "ci@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    bare, work = tmp_path / "origin.git", tmp_path / "repo"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    return work


def push(work: Path) -> Path:
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "manifests")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    return work


@pytest.fixture
def plain(origin):
    shutil.copytree(ROOT / "examples" / "manifests", origin / "deployments")
    return push(origin)


@pytest.fixture
def environments(origin, sandbox):
    return push(environment_repo(origin, sandbox))


def workflow(name: str, repo: Path, github: GitHubStub, event: str, secrets: dict[str, str] | None = None) -> Runner:
    """Run one example workflow for an event: pull_request (#7), push (the merge commit) or schedule."""
    payload = {"pull_request": {"number": PR, "head": {"sha": HEAD}}} if event == "pull_request" else {}
    (repo.parent / "event.json").write_text(json.dumps(payload))
    environ = {k: v for k, v in os.environ.items() if k not in ("IB_PASSWORD", "QCDEPLOY_STATE")}
    environ.update(
        GITHUB_API_URL=github.url,
        GITHUB_REPOSITORY=github.repository,
        GITHUB_TOKEN=TOKEN,
        GITHUB_EVENT_PATH=str(repo.parent / "event.json"),
        GITHUB_EVENT_NAME=event,
        GITHUB_SHA=MERGE,
        GITHUB_RUN_ID="99",
    )
    runner = Runner(repo, environ, repo.parent / "artifacts")
    runner.github = {"event": payload}
    runner.secrets = {"QC_USER_ID": USER_ID, "QC_API_TOKEN": API_TOKEN, "QC_ORGANIZATION_ID": ORG, **(secrets or {})}
    runner.jobs = runner.run(WORKFLOWS / name)
    return runner


def merged(github: GitHubStub) -> None:
    """What GitHub knows after the merge: the pull request of the merge commit, and its plan run."""
    github.pulls[MERGE] = [{"number": PR, "merged_at": "2026-12-06T20:00:00Z", "head": {"sha": HEAD}}]
    run = {"id": 99, "event": "pull_request", "head_sha": HEAD, "status": "success"}
    github.runs["qcdeploy-plan.yml"] = [run]


def bot_comments(github: GitHubStub) -> list[dict[str, Any]]:
    return [c for c in github.comments.get(PR, []) if c["user"]["login"] == "github-actions[bot]"]


def test_without_environments_the_merge_applies_exactly_the_reviewed_plan(plain, sandbox, github):
    planned = workflow("qcdeploy-plan.yml", plain, github, "pull_request")  # no broker secret in a PR
    assert not planned.failed, planned.stdout
    [comment] = bot_comments(github)
    assert comment["body"].startswith("<!-- qcdeploy-plan -->\n## qcdeploy plan\n")
    assert "sensitive, not set here" in comment["body"]
    assert (plain.parent / "artifacts" / "qcdeploy-plan-default-pr7" / "qcdeploy-plan-default.json").is_file()
    assert sandbox.deployments() == []  # planning changed nothing
    merged(github)
    applied = workflow("qcdeploy-apply.yml", plain, github, "push", {"IB_PASSWORD": SECRET})
    assert not applied.failed, applied.stdout
    assert "### qcdeploy apply: applied" in applied.summary
    assert applied.jobs["apply"][0]["apply"]["outputs"]["status"] == "applied"
    assert len(sandbox.active(P_MOMENTUM)) == 1
    assert SECRET not in applied.stdout + applied.summary + json.dumps(github.comments)
    drift = workflow("qcdeploy-drift.yml", plain, github, "schedule")
    assert not drift.failed and "No drift" in drift.summary, drift.stdout


def test_a_direct_push_without_a_reviewed_plan_applies_nothing(plain, sandbox, github):
    applied = workflow("qcdeploy-apply.yml", plain, github, "push", {"IB_PASSWORD": SECRET})
    assert not applied.failed, applied.stdout
    assert "no merged pull request for this commit: nothing reviewed" in applied.stdout
    assert applied.jobs["apply"][0]["apply"]["outputs"]["status"] == "none"
    assert sandbox.deployments() == []


def test_a_plan_that_went_stale_before_the_merge_changes_nothing(plain, sandbox, github):
    assert not workflow("qcdeploy-plan.yml", plain, github, "pull_request").failed
    sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1)  # someone was faster
    merged(github)
    applied = workflow("qcdeploy-apply.yml", plain, github, "push", {"IB_PASSWORD": SECRET})
    assert applied.failed
    assert "plan is stale" in applied.stdout and "Nothing was changed" in applied.stdout
    assert "### qcdeploy apply: stale" in applied.summary
    assert len(sandbox.deployments()) == 1  # only the one deployed by hand


def test_with_environments_each_is_planned_commented_and_applied_in_promotion_order(environments, sandbox, github):
    planned = workflow("qcdeploy-plan.yml", environments, github, "pull_request")
    assert not planned.failed, planned.stdout
    markers = sorted(c["body"].splitlines()[0] for c in bot_comments(github))
    assert markers == ["<!-- qcdeploy-plan env=live -->", "<!-- qcdeploy-plan env=paper -->"]
    artifacts = sorted(p.name for p in (environments.parent / "artifacts").iterdir())
    assert artifacts == ["qcdeploy-plan-live-pr7", "qcdeploy-plan-paper-pr7"]
    merged(github)
    applied = workflow("qcdeploy-apply.yml", environments, github, "push", {"IB_PASSWORD": SECRET})
    assert not applied.failed, applied.stdout
    assert "### qcdeploy apply (paper): applied" in applied.summary
    assert "### qcdeploy apply (live): waiting" in applied.summary and "waiting for promotion" in applied.summary
    assert len(sandbox.active(P_SPARE)) == 1 and sandbox.active(P_MOMENTUM) == []
    sandbox.admin("age", projectId=P_SPARE, seconds=DAY)
    retried = workflow("qcdeploy-apply.yml", environments, github, "schedule", {"IB_PASSWORD": SECRET})
    assert not retried.failed, retried.stdout
    assert "### qcdeploy apply (live): applied" in retried.summary
    assert len(sandbox.active(P_MOMENTUM)) == 1 and len(sandbox.active(P_SPARE)) == 1
    assert SECRET not in retried.stdout + retried.summary + json.dumps(github.comments)
    drift = workflow("qcdeploy-drift.yml", environments, github, "schedule")
    assert not drift.failed and drift.summary.count("No drift") == 2, drift.stdout
