"""The example watch workflow, as written (tests/actions_runner.py runs it): after the reviewed apply, a scheduled
pass per environment is green when all is well and says what it found when a deployment crashed."""

from __future__ import annotations

import pytest

from tests.helpers import P_MOMENTUM, SECRET
from tests.integration.test_example_workflows import merged, origin, plain, workflow

pytestmark = pytest.mark.usefixtures("env")
__all__ = ["origin", "plain"]  # fixtures: the manifest repository and its origin (GitHub's stand-in: conftest)


def test_the_watch_workflow_is_green_when_all_is_well_and_says_what_it_found(plain, sandbox, github):
    assert not workflow("qcdeploy-plan.yml", plain, github, "pull_request").failed
    merged(github)
    assert not workflow("qcdeploy-apply.yml", plain, github, "push", {"IB_PASSWORD": SECRET}).failed
    quiet = workflow("qcdeploy-watch.yml", plain, github, "schedule", {"IB_PASSWORD": SECRET})
    assert not quiet.failed, quiet.stdout
    assert quiet.jobs["watch"][0]["watch"]["outputs"]["exitcode"] == "0" and "all well" in quiet.summary
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: margin call")
    found = workflow("qcdeploy-watch.yml", plain, github, "schedule", {"IB_PASSWORD": SECRET})
    assert not found.failed, found.stdout
    assert found.jobs["watch"][0]["watch"]["outputs"]["exitcode"] == "2"
    assert "crashed" in found.summary and "margin call" in found.summary and SECRET not in found.stdout + found.summary
