"""beforeStop's drain with the API and the wait replaced: the manifest's command goes to the project about to be
stopped, then the wait it names; a command refused or lost stops nothing unless `required: false`, and an interrupt
during the wait stops nothing."""

from __future__ import annotations

from typing import Any

import pytest

from qcdeploy.apply.draining import drain
from qcdeploy.apply.outcome import Interrupted, Result, StepFailed
from qcdeploy.errors import ApiError
from qcdeploy.model import Action
from qcdeploy.quantconnect.transport import AmbiguousWrite
from tests.builders import FakeApi, change, desired, live, logged_as, step_context

COMMAND = {"flatten": True}


def drained(before_stop: Any, api: FakeApi | None = None, interrupted: bool = False) -> tuple[Result, FakeApi, Any]:
    spec = {"beforeStop": before_stop} if before_stop is not None else {}
    r = Result(change(Action.STOP, desired=desired(pid=7, **spec), observed=live(7)))
    api = api or FakeApi(live(7))
    ctx = step_context(api)
    if interrupted:
        ctx.poller.cancel.set()
    try:
        drain(ctx, r, 7)
    finally:
        assert logged_as(ctx, "m")
    return r, api, ctx.poller.cancel.waited


def test_without_before_stop_nothing_is_sent_and_nothing_waited():
    r, api, waited = drained(None)
    assert api.calls == [] and waited == [] and r.drained == ""


@pytest.mark.parametrize(("wait", "seconds"), [("2m", 120.0), ("45s", 45.0), (30, 30.0), (None, 0.0)])
def test_the_command_goes_to_the_project_and_the_named_wait_follows(wait, seconds):
    spec = {"command": COMMAND, **({"wait": wait} if wait is not None else {})}
    r, api, waited = drained(spec)
    assert api.calls == [("live/commands/create", 7, COMMAND)] and waited == [seconds]
    assert r.drained == f"command sent, waited {seconds:g}s"


def refusing(error: Exception, after: bool = False) -> FakeApi:
    api = FakeApi(live(7))
    (api.lose if after else api.refuse)["live/commands/create"] = [error]
    return api


@pytest.mark.parametrize(
    "api",
    [lambda: refusing(ApiError("HTTP 400")), lambda: refusing(AmbiguousWrite("connection lost"), after=True)],
    ids=["refused", "answer lost"],
)
@pytest.mark.parametrize("required", [{}, {"required": True}], ids=["by default", "required"])
def test_a_command_refused_or_lost_stops_nothing_when_required(api, required):
    with pytest.raises(StepFailed, match=r"beforeStop command was not accepted .*; nothing was stopped"):
        drained({"command": COMMAND, "wait": 5, **required}, api())


def test_a_command_not_required_that_is_refused_lets_the_stop_go_ahead_and_says_so():
    r, _, waited = drained({"command": COMMAND, "wait": 5, "required": False}, refusing(ApiError("HTTP 400")))
    assert r.drained.startswith("command refused (HTTP 400); stopped anyway") and waited == []


def test_an_interrupt_during_the_wait_stops_nothing():
    with pytest.raises(Interrupted, match="nothing was stopped"):
        drained({"command": COMMAND, "wait": 60}, interrupted=True)
