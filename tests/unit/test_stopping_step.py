"""The stop step with the API, ledger and clock replaced by fakes: only the planned deployment is stopped (or
liquidated), a replace sets its parameters, drains, carries its paper portfolio and writes its journal before its
stop, a stop that does not happen sets the parameters back and is never reported as done, and a lost answer is
checked before the stop is sent again, to the same project only."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from qcdeploy.apply.outcome import Abandoned, Interrupted, Outcome, Result, StepFailed
from qcdeploy.apply.stopping import stop_step
from qcdeploy.errors import ApiError
from qcdeploy.model import Action, Exposure
from qcdeploy.quantconnect.transport import AmbiguousWrite
from tests.builders import FakeApi, FakeLedger, change, desired, entry, live, logged_as, step_context

OLD, NEW = {"fast": "10"}, {"fast": "20"}
STOPS = ("live/update/stop", "live/update/liquidate")


def a_replace(**spec: Any) -> Result:
    d = desired(**spec)
    d = dataclasses.replace(d, project=dataclasses.replace(d.project, parameters=OLD))
    body = {"brokerage": dict(d.manifest.spec["brokerage"]), "parameters": dict(NEW)}
    return Result(change(Action.REPLACE, desired=d, entry=entry(d)), body=body)


def a_stop(action: Action = Action.STOP, **spec: Any) -> Result:
    d = desired(**spec)
    return Result(change(action, desired=d, entry=entry(d)))


def run(r: Result, api: FakeApi | None = None, **ledger: Any) -> tuple[Any, FakeApi, FakeLedger]:
    """stop_step against a project running L-1 (unless `api` says otherwise); the step's error is returned."""
    api = api or FakeApi(live(), parameters=OLD)
    books = FakeLedger(*([r.change.entry] if r.change.entry else []), calls=api.calls, **ledger)
    ctx = step_context(api, books)
    try:
        stop_step(ctx, r)
    except Exception as exc:  # the tests check what was sent and recorded either way
        ctx.error = exc
    else:
        ctx.error = None
    assert logged_as(ctx, "m")
    return ctx, api, books


@pytest.mark.parametrize(
    ("action", "endpoint", "verb", "word", "status"),
    [
        (Action.STOP, STOPS[0], "stop", "stopped", "Stopped"),
        (Action.LIQUIDATE, STOPS[1], "liquidate", "liquidated", "Liquidated"),
    ],
)
def test_a_stop_goes_once_to_the_planned_project_and_its_entry_leaves_the_ledger(action, endpoint, verb, word, status):
    r = a_stop(action)
    ctx, api, books = run(r)
    assert ctx.error is None and api.sent() == [(endpoint, 1)]
    assert f"{verb} L-1 (project 1)" in ctx.logged and f"L-1 is {status}" in ctx.logged
    assert r.outcome is Outcome.DONE and r.detail == f"L-1 {word}" and r.stopped
    assert books.writes == [("remove", "m")] and books.entries == {}


def test_a_project_that_runs_another_deployment_now_is_not_stopped():
    r = a_stop()
    ctx, api, books = run(r, FakeApi(live(deploy="L-9")))
    assert isinstance(ctx.error, StepFailed) and "runs L-9, not L-1 as planned; nothing was stopped" in str(ctx.error)
    assert api.sent() == [] and not r.stopped and books.writes == []


def test_a_deployment_that_already_ended_is_sent_no_stop_and_leaves_the_ledger():
    r = a_stop()
    ctx, api, books = run(r, FakeApi(live(status="Stopped")))
    assert ctx.error is None and api.sent() == [] and books.entries == {}
    assert r.outcome is Outcome.DONE and r.stopped


def test_a_replace_sets_parameters_drains_carries_and_journals_before_its_stop():
    r = a_replace(beforeStop={"command": {"flatten": True}, "wait": "2m"})
    ctx, api, books = run(r)
    steps = [c[0] for c in api.calls if c[0] not in ("live/read", "projects/read")]
    assert steps == [
        "projects/update",
        "live/commands/create",
        "live/portfolio/read",
        "ledger.begin",  # the journal: stopping
        "live/update/stop",
        "ledger.begin",  # stopped, and the old entry forgotten, in one write
    ]
    assert books.writes == [("begin", "stopping", False, None), ("begin", "stopped", True, None)]
    assert books.journal["m"].stopping == "L-1" and books.entries == {}
    assert api.sent("live/commands/create") == [("live/commands/create", 1, {"flatten": True})]
    assert api.parameters == NEW and r.parameters_set and r.stopped
    assert r.project_modified == "2026-11-03"  # the create records qcdeploy's own update as no code change
    assert r.outcome is Outcome.NOT_ATTEMPTED  # the create finishes it
    assert r.carried == {"cash": [{"amount": 100.0, "currency": "USD"}]} and r.body is not None
    assert r.body["brokerage"]["cash"] == r.carried["cash"]
    assert r.drained == "command sent, waited 120s" and ctx.poller.cancel.waited == [120.0]


def test_a_replace_whose_parameters_are_already_set_sends_no_update():
    r = a_replace()
    r.body, r.project_modified = {**(r.body or {}), "parameters": dict(OLD)}, "2026-10-01 00:00:00"
    ctx, api, _ = run(r)
    assert ctx.error is None and api.sent() == [(STOPS[0], 1)]
    assert r.project_modified == "2026-10-01 00:00:00"  # as the compile step read it: nothing changed it


def test_a_replace_whose_parameters_are_refused_stops_nothing():
    r = a_replace()
    api = FakeApi(live(), parameters=OLD)
    api.refuse["projects/update"] = [ApiError("projects/update: HTTP 400")]
    ctx, api, books = run(r, api)
    assert isinstance(ctx.error, StepFailed) and "parameters could not be set" in str(ctx.error)
    assert "nothing was stopped" in str(ctx.error) and not r.parameters_set
    assert api.sent(*STOPS) == [] and books.writes == [] and api.status(1) == "Running"


def portfolio_unknown(api: FakeApi) -> None:
    api.refuse["live/portfolio/read"] = [ApiError("HTTP 500")]


def command_refused(api: FakeApi) -> None:
    api.refuse["live/commands/create"] = [ApiError("HTTP 400")]


@pytest.mark.parametrize(
    ("spoil", "fails", "error"),
    [
        (portfolio_unknown, (), "paper portfolio to carry into the new deployment is unknown"),
        (command_refused, (), "beforeStop command was not accepted"),
        (lambda api: None, ("begin",), "cannot write the journal before the stop"),
    ],
    ids=["portfolio", "beforeStop", "journal"],
)
def test_a_replace_that_fails_before_its_stop_stops_nothing_and_sets_its_parameters_back(spoil, fails, error):
    r = a_replace(beforeStop={"command": {"flatten": True}})
    api = FakeApi(live(), parameters=OLD)
    spoil(api)
    ctx, api, _ = run(r, api, fails=fails)
    assert isinstance(ctx.error, StepFailed) and error in str(ctx.error) and "nothing was stopped" in str(ctx.error)
    assert api.sent(*STOPS) == [] and api.status(1) == "Running" and not r.stopped
    assert api.sent("projects/update") == [("projects/update", 1, NEW), ("projects/update", 1, OLD)]
    assert api.parameters == OLD and not r.parameters_set


def test_an_interrupt_during_the_drain_stops_nothing_and_sets_the_parameters_back():
    r = a_replace(beforeStop={"command": {"flatten": True}, "wait": 30})
    api = FakeApi(live(), parameters=OLD)
    books = FakeLedger(calls=api.calls)
    ctx = step_context(api, books)
    ctx.poller.cancel.set()
    with pytest.raises(Interrupted, match="nothing was stopped"):
        stop_step(ctx, r)
    assert api.sent(*STOPS) == [] and api.parameters == OLD and not r.stopped and logged_as(ctx, "m")


def test_parameters_that_cannot_be_set_back_are_said_and_the_cause_is_what_fails():
    r = a_replace(beforeStop={"command": {"flatten": True}})
    api = FakeApi(live(), parameters=OLD)
    command_refused(api)
    api.lose["projects/update"] = [None, ApiError("projects/update: HTTP 500")]
    ctx, api, _ = run(r, api)
    assert isinstance(ctx.error, StepFailed) and "beforeStop command was not accepted" in str(ctx.error)
    assert any("could not set the project's parameters back (projects/update: HTTP 500)" in m for m in ctx.logged)
    assert api.sent(*STOPS) == [] and not r.parameters_set


def test_a_replace_whose_stop_is_refused_while_it_runs_sets_its_parameters_back():
    r = a_replace()
    api = FakeApi(live(), parameters=OLD)
    api.refuse["live/update/stop"] = [ApiError("live/update/stop: HTTP 500")]
    ctx, api, books = run(r, api)
    assert isinstance(ctx.error, StepFailed) and "L-1 is still Running" in str(ctx.error)
    assert not r.stopped and api.parameters == OLD and api.status(1) == "Running"
    assert books.writes == [("begin", "stopping", False, None)]  # the journal says stopping, never stopped


def test_a_stop_that_never_takes_fails_after_the_timeout_with_one_stop_sent():
    r = a_replace()
    api = FakeApi(live(), parameters=OLD)
    api.stop_leaves = None
    ctx, api, _ = run(r, api)
    assert isinstance(ctx.error, StepFailed) and "L-1 is still Running" in str(ctx.error)
    assert "L-1 still Running 60s after the stop was sent" in str(ctx.error)
    assert api.sent(*STOPS) == [(STOPS[0], 1)] and not r.stopped and api.parameters == OLD
    assert 60 <= ctx.poller.now[0] - 1000 < 120  # it waited out the timeout, and no longer, on the fake clock
    assert any(m.startswith("still waiting for the stop (") for m in ctx.logged)  # a long wait is never silent


def test_a_stop_whose_answer_was_lost_after_it_landed_is_not_sent_again():
    r = a_stop()
    api = FakeApi(live())
    api.lose["live/update/stop"] = [AmbiguousWrite("live/update/stop: the connection failed")]
    ctx, api, _ = run(r, api)
    assert ctx.error is None and api.sent() == [(STOPS[0], 1)] and r.outcome is Outcome.DONE


def test_a_stop_lost_before_it_landed_is_sent_again_to_the_same_project_after_a_grace():
    r = a_stop(Action.LIQUIDATE)
    api = FakeApi(live())
    api.refuse["live/update/liquidate"] = [AmbiguousWrite("the connection failed")] * 2
    ctx, api, _ = run(r, api)
    assert ctx.error is None and api.sent() == [(STOPS[1], 1)] * 3 and api.status(1) == "Liquidated"
    assert r.outcome is Outcome.DONE and r.detail == "L-1 liquidated"
    assert 20 <= ctx.poller.now[0] - 1000 < 60  # each resend after a 10 s grace, never at once


def test_a_stop_refused_by_an_error_after_which_it_is_no_longer_running_is_a_stop():
    r = a_stop()
    api = FakeApi(live())
    api.lose["live/update/stop"] = [ApiError("live/update/stop: HTTP 502")]  # it landed; the answer is an error
    ctx, api, books = run(r, api)
    assert ctx.error is None and r.outcome is Outcome.DONE and books.entries == {} and api.sent() == [(STOPS[0], 1)]


def test_a_stop_is_done_once_the_project_shows_another_deployment_whatever_its_status():
    """A read that answers with the project's newest deployment, someone else's now: the planned one is gone."""
    r = a_stop()
    api = FakeApi(live())
    api.stop_leaves = None
    newest = api.live_read

    def stop(pid: int, liquidate: bool = False) -> None:
        api.calls.append(("live/update/stop", pid))
        api.rows[1].append({"projectId": 1, "deployId": "L-other", "status": "Running"})

    api.live_stop = stop  # type: ignore[method-assign]
    api.live_read = lambda pid, deploy_id=None: newest(pid)  # type: ignore[method-assign]
    ctx, api, _ = run(r, api)
    assert ctx.error is None and r.outcome is Outcome.DONE and api.sent() == [(STOPS[0], 1)]


def test_a_second_interrupt_during_the_stop_wait_abandons_it_and_the_strategy_may_be_down():
    r = a_replace()
    api = FakeApi(live(), parameters=OLD)
    api.stop_leaves = None
    books = FakeLedger(calls=api.calls)
    ctx = step_context(api, books)
    ctx.poller.abandon.set()
    with pytest.raises(Abandoned, match="it may be down"):
        stop_step(ctx, r)
    assert r.stopped and api.sent(*STOPS) == [(STOPS[0], 1)]


@pytest.mark.parametrize("stop", ["refused", "never takes"])
def test_a_plain_stop_whose_state_cannot_be_read_afterwards_is_not_reported_done(stop):
    """A refused stop (or one that never showed) with the state unreadable until the timeout: it may still run, so
    the change fails and the ledger keeps the deployment; the next plan sees what runs."""
    r = a_stop()
    api = FakeApi(live())
    api.readable = 1  # the step's own read sees L-1 running; every read after it fails
    if stop == "refused":
        api.refuse["live/update/stop"] = [ApiError("live/update/stop: HTTP 400")]
    else:
        api.stop_leaves = None
    ctx, api, books = run(r, api)
    assert isinstance(ctx.error, StepFailed) and "could not be confirmed" in str(ctx.error)
    assert r.outcome is not Outcome.DONE and "m" in books.entries and api.status(1) == "Running"


def test_a_replace_whose_stop_cannot_be_confirmed_goes_on_to_its_create():
    """The create is refused while the old deployment still runs, and the rollback then finds it running."""
    r = a_replace()
    api = FakeApi(live(), parameters=OLD)
    api.readable = 1  # the step's own read sees L-1 running; every read after it fails
    api.refuse["live/update/stop"] = [ApiError("live/update/stop: HTTP 400")]
    ctx, api, books = run(r, api)
    assert ctx.error is None and r.stopped and api.parameters == NEW
    assert [w[1] for w in books.writes] == ["stopping", "stopped"]


def test_a_first_interrupt_does_not_cut_a_stops_wait_short_nor_send_it_again():
    r = a_stop()
    api = FakeApi(live())
    api.stop_shows_after = 3
    ctx = step_context(api, FakeLedger(r.change.entry))  # type: ignore[arg-type]
    ctx.poller.cancel.set()
    stop_step(ctx, r)
    assert api.sent() == [(STOPS[0], 1)] and r.outcome is Outcome.DONE and ctx.poller.now[0] - 1000 < 60


def test_a_stop_waited_on_beside_others_reads_the_shared_list():
    r = a_stop()
    api = FakeApi(live())
    api.stop_shows_after = 1
    ctx = step_context(api, FakeLedger(r.change.entry))  # type: ignore[arg-type]
    with ctx.board.waiting():  # another change waits too
        stop_step(ctx, r)
    assert r.outcome is Outcome.DONE and ("live/list",) in api.calls and api.calls.count(("live/read", 1)) == 1


def test_a_replace_of_a_deployment_already_ended_goes_on_when_the_ledger_cannot_forget_it():
    r = a_replace()
    ctx, api, _ = run(r, FakeApi(live(status="RuntimeError"), parameters=OLD), fails=("remove",))
    assert ctx.error is None and r.stopped and api.sent(*STOPS) == []
    assert any(m.endswith("; going on with the create") for m in ctx.logged)


def test_a_paper_replace_whose_portfolio_cannot_be_read_now_carries_the_one_the_plan_read():
    r = a_replace()
    r = dataclasses.replace(r, change=dataclasses.replace(r.change, exposure=Exposure(cash={"USD": 5.0})))
    api = FakeApi(live(), parameters=OLD)
    portfolio_unknown(api)
    ctx, api, _ = run(r, api)
    assert ctx.error is None and r.carried == {"cash": [{"amount": 5.0, "currency": "USD"}]}
    assert any(m.endswith("; carrying the portfolio the plan read") for m in ctx.logged)


def test_a_lost_stop_is_sent_again_within_seconds_however_short_the_poll_interval():
    """The grace before a resend is at least 5 s, and ten poll intervals when those are longer: never the timeout."""
    r = a_stop()
    api = FakeApi(live())
    api.refuse["live/update/stop"] = [AmbiguousWrite("the connection failed")]
    ctx = step_context(api, FakeLedger(r.change.entry), poll=0.1)  # type: ignore[arg-type]
    stop_step(ctx, r)
    assert api.sent() == [(STOPS[0], 1)] * 2 and r.outcome is Outcome.DONE
    assert 5 <= ctx.poller.now[0] - 1000 < 10
