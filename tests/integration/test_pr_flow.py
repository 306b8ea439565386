"""Saved plans in an environment repository (paper + live, a promotion gate, protect on live), as a pull request
uses them: stale only for what they touch, applied from any directory of the checkout, shown again, approved at
review, and held (not stale) by the promotion gate. Time passes through the sandbox's `age` operation."""

from __future__ import annotations

import json
import re

import pytest

from tests.envrepo import edit, environment_repo
from tests.helpers import P_MOMENTUM, P_PAIRS, P_SPARE

pytestmark = pytest.mark.usefixtures("env")
DAY = 86400


@pytest.fixture
def repo(tmp_path, sandbox, monkeypatch):
    """tests/envrepo.py's environment repository; the tests run from its root unless they say otherwise."""
    root = environment_repo(tmp_path / "repo", sandbox)
    monkeypatch.chdir(root)
    return root


def test_an_edit_to_another_deployment_leaves_a_saved_plan_current(cli, sandbox, repo):
    assert cli("apply", "--env", "paper", "--auto-approve", "--target", "meanrev", "deployments").code == 0
    planned = cli("plan", "--env", "paper", "deployments", "--out", "plan.json")
    assert planned.code == 0 and "Plan: 1 to create" in planned.out  # momentum
    edit(repo / "deployments" / "base" / "meanrev.yaml", "lookback: 20", "lookback: 25")  # another PR merged first
    applied = cli("apply", "plan.json")
    assert applied.code == 0, applied.err
    assert len(sandbox.active(P_SPARE)) == 1


def test_an_edit_to_a_planned_deployment_names_it_and_its_files(cli, sandbox, repo):
    assert cli("plan", "--env", "paper", "deployments", "--out", "plan.json").code == 0
    edit(repo / "deployments" / "paper.yaml", "node: live-node-1", "node: live-node-1\n      protect: true")
    stale = cli("apply", "plan.json")
    assert stale.code == 1
    assert (
        "plan is stale: momentum (deployments/base/momentum.yaml, deployments/paper.yaml): its manifest changed"
    ) in stale.err
    assert "meanrev" not in stale.err  # untouched: not blamed
    assert sandbox.deployments() == []


def test_a_saved_plan_applies_from_any_directory_of_the_checkout(cli, sandbox, repo, monkeypatch):
    assert cli("plan", "--env", "paper", "deployments", "--out", "plan.json").code == 0
    assert json.loads((repo / "plan.json").read_text())["paths"] == ["deployments"]
    monkeypatch.chdir(repo / "deployments" / "base")
    applied = cli("apply", "../../plan.json")
    assert applied.code == 0, applied.err
    assert len(sandbox.active(P_SPARE)) == 1 and len(sandbox.active(P_PAIRS)) == 1


def test_a_plan_made_without_paths_in_a_subdirectory_applies_from_the_root(cli, sandbox, repo, monkeypatch):
    monkeypatch.chdir(repo / "deployments")
    assert cli("plan", "--env", "paper", "--out", "../plan.json").code == 0
    assert json.loads((repo / "plan.json").read_text())["paths"] == ["deployments"]
    monkeypatch.chdir(repo)
    applied = cli("apply", "plan.json")
    assert applied.code == 0, applied.err
    assert len(sandbox.active(P_SPARE)) == 1 and len(sandbox.active(P_PAIRS)) == 1


def test_a_saved_plan_in_the_checkout_applies_from_outside_it(cli, sandbox, repo, monkeypatch, tmp_path):
    assert cli("plan", "--env", "paper", "deployments", "--out", "plan.json").code == 0
    monkeypatch.chdir(tmp_path)  # not in the checkout: the plan file's checkout is the root
    applied = cli("apply", str(repo / "plan.json"))
    assert applied.code == 0, applied.err
    assert len(sandbox.active(P_SPARE)) == 1


def test_show_renders_a_saved_plan_again(cli, repo):
    planned = cli("plan", "--env", "paper", "deployments", "--out", "plan.json")
    text = cli("show", "plan.json")
    assert text.code == 0 and text.out.startswith("Saved plan plan.json: environment paper; made ")
    assert planned.out.split("\nSaved the plan to")[0] in text.out
    markdown = cli("show", "plan.json", "--format", "markdown").out
    assert markdown.startswith("<!-- qcdeploy-plan env=paper -->\n## qcdeploy plan: environment `paper`")
    assert markdown == cli("plan", "--env", "paper", "deployments", "--format", "markdown").out
    shown = json.loads(cli("show", "plan.json", "--format", "json").out)
    assert shown == json.loads(cli("plan", "--env", "paper", "deployments", "--format", "json").out)
    (repo / "junk.json").write_text("{}")
    bad = cli("show", "junk.json")
    assert bad.code == 1 and "is not a readable qcdeploy plan" in bad.err and "Traceback" not in bad.err


def test_the_markdown_plan_names_its_environment(cli, repo):
    paper = cli("plan", "--env", "paper", "deployments", "--format", "markdown").out
    live = cli("plan", "--env", "live", "deployments", "--format", "markdown").out
    assert paper.splitlines()[:2] == ["<!-- qcdeploy-plan env=paper -->", "## qcdeploy plan: environment `paper`"]
    assert live.splitlines()[:2] == ["<!-- qcdeploy-plan env=live -->", "## qcdeploy plan: environment `live`"]


def promote_momentum(cli, sandbox) -> None:
    """momentum runs in paper, then (a day later) in live."""
    assert cli("apply", "--env", "paper", "--auto-approve", "deployments").code == 0
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * DAY)
    live = cli("apply", "--env", "live", "--auto-approve", "deployments")
    assert live.code == 0, live.err


def test_a_live_plan_held_by_the_promotion_gate_is_waiting_not_stale(cli, sandbox, repo):
    assert cli("apply", "--env", "paper", "--auto-approve", "deployments").code == 0
    assert cli("plan", "--env", "live", "deployments", "--out", "live.json").code == 0  # reviewed, then merged
    held = cli("apply", "live.json")
    assert held.code == 1 and "waiting for promotion: the saved plan is still current" in held.err
    assert re.search(r"its paper deployment has run \d+s of the 1d needed", held.err)
    assert "run `qcdeploy apply --env live live.json` again" in held.err and "stale" not in held.err
    assert sandbox.active(P_MOMENTUM) == []
    sandbox.admin("age", projectId=P_SPARE, seconds=DAY)
    later = cli("apply", "live.json")
    assert later.code == 0, later.err
    assert len(sandbox.active(P_MOMENTUM)) == 1


def test_approval_at_review_is_recorded_shown_and_needs_no_flag_again(cli, sandbox, repo):
    promote_momentum(cli, sandbox)
    base = repo / "deployments" / "base" / "momentum.yaml"
    edit(base, "slow-period: 30", "slow-period: 35")
    assert cli("apply", "--env", "paper", "--auto-approve", "deployments").code == 0
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * DAY)
    [before] = sandbox.active(P_MOMENTUM)

    assert cli("plan", "--env", "live", "deployments", "--out", "unapproved.json").code == 0
    refused = cli("apply", "unapproved.json")
    assert refused.code == 1 and "protected deployment(s) momentum (--allow-protected to allow)" in refused.err

    planned = cli("plan", "--env", "live", "deployments", "--allow-protected", "--out", "live.json")
    assert planned.code == 0 and "Approved with this plan (--allow-protected)" in planned.out
    assert "! protected: approved (--allow-protected)" in planned.out and "refuses to stop it" not in planned.out
    comment = cli("show", "live.json", "--format", "markdown").out
    assert "**Approved with this plan: `--allow-protected`.**" in comment and "protected `momentum`" in comment
    assert "needs --allow-protected" not in comment
    applied = cli("apply", "live.json")
    assert applied.code == 0, applied.err
    assert "approved with --allow-protected at review" in applied.out and "refuses to stop it" not in applied.out
    [after] = sandbox.active(P_MOMENTUM)
    assert after["deployId"] != before["deployId"] and after["settings"]["parameters"]["slow-period"] == "35"


def test_plan_allow_protected_needs_a_saved_plan(cli, repo):
    result = cli("plan", "--env", "live", "deployments", "--allow-protected")
    assert result.code == 1 and "give --out FILE too" in result.err
