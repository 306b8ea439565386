"""The GitHub Action's steps (`python -m qcdeploy.action`, what action.yml runs) against the sandbox and a stand-in
of GitHub's REST API on 127.0.0.1: one sticky comment per environment, updated in place across two plans; no
comment when nothing changes; outputs, summary and annotations; the reviewed plan found and applied at merge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.envrepo import edit, environment_repo
from tests.github_stub import TOKEN, GitHubStub
from tests.helpers import P_MOMENTUM, P_SPARE, SECRET

pytestmark = pytest.mark.usefixtures("env")
PR = 7
DAY = 86400


@pytest.fixture
def repo(tmp_path, sandbox):
    return environment_repo(tmp_path / "repo", sandbox)


class Step:
    """One run of an action step as GitHub would run it: its outputs, summary and stdout (annotations)."""

    def __init__(
        self, repo: Path, github: GitHubStub, *args: str, event: dict[str, object] | None = None, secrets: bool = False
    ):
        files = {name: repo.parent / f"{name}.{len(list(repo.parent.iterdir()))}" for name in ("out", "summary")}
        for f in files.values():
            f.write_text("")
        event_path = repo.parent / "event.json"
        event_path.write_text(json.dumps(event if event is not None else {"pull_request": {"number": PR}}))
        environ = {k: v for k, v in os.environ.items() if secrets or k != "IB_PASSWORD"}  # a PR job has no secrets
        environ.update(
            GITHUB_API_URL=github.url,
            GITHUB_REPOSITORY=github.repository,
            GITHUB_TOKEN=TOKEN,
            GITHUB_EVENT_PATH=str(event_path),
            GITHUB_OUTPUT=str(files["out"]),
            GITHUB_STEP_SUMMARY=str(files["summary"]),
            GITHUB_SHA="c0ffee",
        )
        done = subprocess.run(
            [sys.executable, "-m", "qcdeploy.action", *args], cwd=repo, env=environ, capture_output=True, text=True
        )
        self.code, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        self.outputs = dict(line.split("=", 1) for line in files["out"].read_text().splitlines() if "=" in line)
        self.summary = files["summary"].read_text()


def plan(repo, github, environment, **kw):
    out = f"plan-{environment}.json"
    return Step(repo, github, "plan", f"--environment={environment}", f"--out={out}", "deployments", **kw)


def bot_comments(github):
    return [c for c in github.comments.get(PR, []) if c["user"]["login"] == "github-actions[bot]"]


def test_one_comment_per_environment_updated_in_place_across_two_plans(github, repo, sandbox):
    for n in range(101):  # a busy pull request: the action's comments are on the second page
        github.add_comment(PR, f"review remark {n}")
    first = {env: plan(repo, github, env) for env in ("paper", "live")}
    for env, step in first.items():
        assert step.code == 0, step.stderr
        assert step.outputs == {
            "exitcode": "2",
            "has-changes": "true",
            "plan-path": f"plan-{env}.json",
            "artifact": f"qcdeploy-plan-{env}-pr7",
            "comment": "created",
        }
        assert f"::notice title=qcdeploy plan ({env})::Plan: " in step.stdout
        assert step.summary.startswith(f"<!-- qcdeploy-plan env={env} -->\n## qcdeploy plan: environment `{env}`")
        assert "<details><summary>Full plan</summary>" in step.summary and "Saved plan plan-" in step.summary
        assert (repo / f"plan-{env}.json").is_file()
    assert "::warning title=qcdeploy plan (live)::apply would be refused now" in first["live"].stdout
    created = {c["body"].splitlines()[0]: (c["id"], c["body"]) for c in bot_comments(github)}
    assert set(created) == {"<!-- qcdeploy-plan env=paper -->", "<!-- qcdeploy-plan env=live -->"}

    edit(repo / "deployments" / "base" / "momentum.yaml", "fast-period: 10", "fast-period: 12")  # a second push
    github.calls.clear()
    second = {env: plan(repo, github, env) for env in ("paper", "live")}
    assert [m for m, _ in github.calls] == ["GET", "GET", "PATCH"] * 2  # two pages read, one update each
    assert all(s.outputs["comment"] == "updated" for s in second.values())
    mine = bot_comments(github)
    assert len(mine) == 2 and len(github.comments[PR]) == 103  # updated in place, nothing added
    for c in mine:
        marker = c["body"].splitlines()[0]
        assert c["id"] == created[marker][0] and c["body"] != created[marker][1]
        assert 'fast-period "12"' in c["body"]
    assert SECRET not in json.dumps(github.comments)
    assert sandbox.deployments() == []  # planning changed nothing


def test_no_comment_when_nothing_changes(github, repo, cli, monkeypatch):
    monkeypatch.chdir(repo)
    assert cli("apply", "--env", "paper", "--auto-approve", "deployments").code == 0
    quiet = plan(repo, github, "paper")
    assert quiet.code == 0 and quiet.outputs["has-changes"] == "false" and quiet.outputs["exitcode"] == "0"
    assert quiet.outputs["comment"] == "skipped" and bot_comments(github) == []
    assert "No changes." in quiet.summary


def test_an_existing_comment_is_brought_up_to_date_when_nothing_changes_any_more(github, repo, cli, monkeypatch):
    assert plan(repo, github, "paper").outputs["comment"] == "created"
    monkeypatch.chdir(repo)
    assert cli("apply", "--env", "paper", "--auto-approve", "deployments").code == 0
    again = plan(repo, github, "paper")
    assert again.outputs["comment"] == "updated"
    [c] = bot_comments(github)
    assert "No changes." in c["body"]


def test_a_failed_plan_fails_the_step_with_an_annotation_and_a_comment(github, repo):
    edit(repo / "deployments" / "paper.yaml", "node: live-node-1", "node: live-node-1\n      onStop: sell")
    failed = plan(repo, github, "paper")
    assert failed.code == 1 and failed.outputs["exitcode"] == "1"
    assert "::error title=qcdeploy plan (paper)::" in failed.stdout and "onStop" in failed.stdout
    [c] = bot_comments(github)
    assert c["body"].startswith("<!-- qcdeploy-plan env=paper -->\n## qcdeploy plan (paper) failed")


def test_a_comment_github_refuses_is_a_warning_not_a_failed_plan(github, repo, monkeypatch):
    monkeypatch.setattr("tests.integration.test_action.TOKEN", "ghs_read-only-fork-token")
    step = plan(repo, github, "paper")
    assert step.code == 0 and step.outputs["comment"] == "failed" and step.outputs["has-changes"] == "true"
    assert "::warning title=qcdeploy plan (paper)::could not post the plan comment" in step.stdout
    assert "HTTP 401 Bad credentials" in step.stdout and "ghs_read-only-fork-token" not in step.stdout


def test_outside_a_pull_request_no_comment_is_made(github, repo):
    step = plan(repo, github, "paper", event={})
    assert step.code == 0 and "comment" not in step.outputs and github.calls == []


def test_the_environments_in_promotion_order(github, repo, tmp_path, manifests):
    step = Step(repo, github, "environments", "deployments")
    assert step.code == 0 and json.loads(step.outputs["environments"]) == ["paper", "live"]
    (manifests / "a.yaml").write_text((repo / "deployments" / "base" / "meanrev.yaml").read_text())
    plain = Step(repo, github, "environments", str(manifests))
    assert json.loads(plain.outputs["environments"]) == [""]


def test_a_broken_environment_document_fails_the_list_rather_than_going_unplanned(github, repo):
    edit(repo / "deployments" / "live.yaml", "kind: Environment", "kind: Environment\nbogus: 1")
    step = Step(repo, github, "environments", "deployments")
    assert step.code == 1 and "environments" not in step.outputs
    assert "::error file=deployments/live.yaml,line=4,col=1::" in step.stdout  # on the pull request's diff


def test_apply_mode_applies_the_reviewed_plan_of_each_environment(github, repo, sandbox):
    github.pulls["c0ffee"] = [{"number": PR, "merged_at": "2026-12-06T20:00:00Z", "head": {"sha": "abc123"}}]
    github.runs["qcdeploy-plan.yml"] = [
        {"id": 4242, "event": "pull_request", "head_sha": "abc123", "status": "success"}
    ]
    found = Step(repo, github, "find", "--environment=live", "--workflow=qcdeploy-plan.yml")
    assert found.outputs == {"found": "true", "run-id": "4242", "artifact": "qcdeploy-plan-live-pr7"}
    for env in ("paper", "live"):
        assert plan(repo, github, env).code == 0  # reviewed on the pull request
    paper = Step(repo, github, "apply", "--environment=paper", "--plan=plan-paper.json", secrets=True)
    assert paper.code == 0 and paper.outputs["status"] == "applied", paper.stderr
    live = Step(repo, github, "apply", "--environment=live", "--plan=plan-live.json", secrets=True)
    assert live.code == 0 and live.outputs["status"] == "waiting"  # held by the gate: not stale, not a failure
    assert "::warning title=qcdeploy apply (live)::" in live.stdout and "waiting for promotion" in live.stdout
    assert sandbox.active(P_MOMENTUM) == [] and len(sandbox.active(P_SPARE)) == 1
    sandbox.admin("age", projectId=P_SPARE, seconds=DAY)
    later = Step(repo, github, "apply", "--environment=live", "--plan=plan-live.json", secrets=True)
    assert later.outputs["status"] == "applied", later.stderr
    assert len(sandbox.active(P_MOMENTUM)) == 1
    stale = Step(repo, github, "apply", "--environment=live", "--plan=plan-live.json", secrets=True)
    assert stale.code == 1 and stale.outputs["status"] == "stale" and "::error" in stale.stdout
    none = Step(repo, github, "apply", "--environment=live", "--plan=missing.json", secrets=True)
    assert none.code == 0 and none.outputs["status"] == "none"


def test_a_push_without_a_pull_request_has_no_reviewed_plan(github, repo):
    found = Step(repo, github, "find", "--environment=paper", "--workflow=qcdeploy-plan.yml")
    assert found.code == 0 and found.outputs == {"found": "false"}
