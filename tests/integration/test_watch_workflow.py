"""The example watch workflow, as written: its shell step run against the sandbox after the apply workflow."""

from __future__ import annotations

import pytest

from tests.helpers import P_MOMENTUM, SECRET
from tests.integration.test_example_workflows import repo, run_workflow

pytestmark = pytest.mark.usefixtures("env")
__all__ = ["repo"]  # the fixture: the manifest repository with a bare origin for the ledger's branch


def test_the_watch_workflow_is_green_when_all_is_well_and_says_what_it_found(repo, sandbox):
    assert run_workflow("qcdeploy-plan.yml", repo, sandbox, {})[2] == 0
    assert run_workflow("qcdeploy-apply.yml", repo, sandbox, {"IB_PASSWORD": SECRET})[2] == 0
    outputs, summary, failed = run_workflow("qcdeploy-watch.yml", repo, sandbox, {"IB_PASSWORD": SECRET})
    assert failed == 0 and outputs["exitcode"] == "0", summary
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: margin call")
    outputs, summary, failed = run_workflow("qcdeploy-watch.yml", repo, sandbox, {"IB_PASSWORD": SECRET})
    assert failed == 0 and outputs["exitcode"] == "2"
    assert "crashed" in summary and "margin call" in summary and SECRET not in summary
