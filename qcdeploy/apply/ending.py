"""Why a new deployment ended before it proved healthy: a crash, or someone's decision.

A RuntimeError or DeployError is a failure, rolled back. Stopped or Liquidated is what a person (the web UI, the
lean CLI, another tool) chose while qcdeploy watched: qcdeploy never stops its own new deployment while it
watches it, so undoing that stop would undo an emergency stop (SPEC §6). It is reported, not rolled back.
"""

from __future__ import annotations

from qcdeploy.apply.outcome import StepFailed
from qcdeploy.model import LiveDeployment

DECIDED = frozenset({"Stopped", "Liquidated"})  # AlgorithmStatus values only a stop or liquidate call leads to


class StoppedOutside(StepFailed):
    """Someone else stopped or liquidated the new deployment: a decision, not a failure to roll back."""

    def __init__(self, message: str) -> None:
        super().__init__(message, lasting=True)


def stopped_outside(deploy_id: str, final: LiveDeployment, when: str) -> StoppedOutside | None:
    """StoppedOutside when the deployment ended by someone's stop or liquidation; None for a crash."""
    if final.status not in DECIDED:
        return None
    return StoppedOutside(
        f"{deploy_id} {final.status}: stopped by someone else {when}; not rolled back (a stop made outside "
        "qcdeploy is a decision), nothing is recorded as running, and the next plan shows it as stopped outside "
        "qcdeploy"
    )
