"""Graceful drain: `beforeStop` tells the running deployment first (live/commands/create), waits, then the stop.

The command goes to the deployment about to be stopped or replaced, after the step's checks and just before the
stop (and before a paper portfolio is read, so that it carries what the drain left). A command the API refuses,
or whose answer was lost, stops nothing (`StepFailed`), unless `beforeStop.required: false`: then the stop goes
ahead and the summary says the command was refused. The wait is cut short by an interrupt, which stops nothing.
"""

from __future__ import annotations

from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Interrupted, Result, StepFailed
from qcdeploy.errors import ApiError
from qcdeploy.planning.drainspec import before_stop, seconds


def drain(ctx: Context, r: Result, project_id: int) -> None:
    spec = before_stop(r.change)
    if spec is None:
        return
    name, wait = r.change.name, seconds(spec.get("wait", 0))
    try:
        ctx.api.live_command(project_id, spec["command"])
    except ApiError as exc:
        if spec.get("required", True):
            raise StepFailed(f"the beforeStop command was not accepted ({exc}); nothing was stopped") from None
        r.drained = f"command refused ({exc}); stopped anyway (beforeStop.required: false)"
        ctx.log(name, r.drained)
        return
    ctx.log(name, f"beforeStop command sent to project {project_id}; waiting {wait:g}s before the stop")
    if ctx.poller.cancel.wait(wait):  # Event.wait: the interrupt ends the wait, and nothing is stopped
        raise Interrupted("interrupted while waiting after the beforeStop command; nothing was stopped")
    r.drained = f"command sent, waited {wait:g}s"
