"""Single steps of apply with the API and the clock replaced: preflight refuses one problem as it refuses many, a
lost create that crashed at once is not sent again, a failed stop whose state cannot be read is not a stop, a
rollback never rebuilds a secret from an unset variable, and a deployment that ends inside its health window
is not healthy."""

from __future__ import annotations

import itertools
from contextlib import nullcontext
from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply import creating, stopping
from qcdeploy.apply.outcome import Result, StepFailed
from qcdeploy.apply.pace import Pace
from qcdeploy.apply.preflight import preflight_step
from qcdeploy.apply.rollback import previous_body, rollback_step
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import ApiError, LedgerError, QcdeployError
from qcdeploy.model import Action, Exposure, LiveDeployment
from qcdeploy.quantconnect.transport import AmbiguousWrite
from tests.builders import SALT, change, desired, entry

IB = {"id": "InteractiveBrokersBrokerage", "ib-user-name": "u", "ib-account": "DU1", "ib-password": "pw"}


def ctx(**parts: Any) -> Any:
    """The parts of a Context a step uses."""
    logged: list[str] = []
    return SimpleNamespace(log=lambda name, message: logged.append(message), logged=logged, **parts)


def preflight(**brokerage: Any) -> Result:
    d = desired(brokerage=brokerage, sensitive=[("brokerage", "ib-password")])
    r = Result(change(Action.CREATE, desired=d), compile_id="c-1")
    preflight_step(ctx(options=SimpleNamespace(rollback=True)), r)
    return r


def test_preflight_refuses_a_single_problem_before_anything_stops():
    with pytest.raises(StepFailed, match="needs ib-weekly-restart-utc-time; nothing was stopped"):
        preflight(**IB)
    ok = preflight(**IB, **{"ib-weekly-restart-utc-time": "22:00:00"})
    assert ok.body is not None and ok.body["brokerage"]["ib-password"] == "pw"


def test_preflight_refuses_a_secret_that_is_set_but_empty():
    with pytest.raises(StepFailed, match=r"secret brokerage\.ib-password is set but empty"):
        preflight(**{**IB, "ib-password": "", "ib-weekly-restart-utc-time": "22:00:00"})


class Api:
    """live/create whose answer is lost once; live/read answering from a list of what the project shows."""

    def __init__(self, reads: list[Any]) -> None:
        self.reads, self.creates = reads, 0
        self.client = SimpleNamespace(server_date=None)  # no Date header: launch times are not compared

    def live_create(self, body: Any) -> dict[str, Any]:
        self.creates += 1
        if self.creates == 1:
            raise AmbiguousWrite("live/create: the connection failed")
        return {"deployId": "L-second"}

    def live_read(self, pid: int, deploy_id: str | None = None) -> Any:
        answer = self.reads.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def row(deploy_id: str, status: str) -> dict[str, Any]:
    return {"projectId": 1, "deployId": deploy_id, "status": status, "launched": "2026-11-01 00:00:00"}


@pytest.mark.parametrize("status", ["RuntimeError", "DeployError", "Stopped"])
def test_a_lost_create_whose_deployment_already_ended_is_ours_and_never_sent_again(status):
    api = Api([row("L-new", status)])
    assert creating.launch(ctx(api=api), "m", 1, {}, "L-old") == "L-new"
    assert api.creates == 1


def test_a_lost_create_is_sent_again_only_when_the_project_shows_nothing_newer():
    api = Api([row("L-old", "Stopped")])
    assert creating.launch(ctx(api=api), "m", 1, {}, "L-old") == "L-second" and api.creates == 2
    unknown = Api([ApiError("live/read: HTTP 500")] * 4)
    with pytest.raises(creating.CreateFailed, match="could not tell"):
        creating.launch(ctx(api=unknown), "m", 1, {}, "L-old")
    assert unknown.creates == 1


class StopApi:
    def live_stop(self, pid: int, liquidate: bool = False) -> None:
        raise ApiError("live/update/stop: HTTP 400")


def test_a_failed_stop_whose_state_cannot_be_read_is_not_taken_as_a_stop():
    r = Result(change(Action.STOP))
    with pytest.raises(ApiError):
        stopping._send_stop(ctx(api=StopApi(), read_or_none=lambda pid: None), r, 1)
    running = LiveDeployment(1, "L-1", "Running")
    with pytest.raises(ApiError):
        stopping._send_stop(ctx(api=StopApi(), read_or_none=lambda pid: running), r, 1)
    gone = LiveDeployment(1, "L-1", "Stopped")  # "not running" after a lost first answer: it worked
    assert stopping._send_stop(ctx(api=StopApi(), read_or_none=lambda pid: gone), r, 1) is True


def test_a_rollback_is_not_rebuilt_with_a_secret_whose_variable_is_unset():
    d = desired(brokerage={"id": "QuantConnectBrokerage", "pw": "old"}, sensitive=[("brokerage", "pw")])
    e = entry(d, refs=((("brokerage", "pw"), "${env:PW}"),))
    body, note = previous_body(e, {}, SALT, "")
    assert body is None and note == "PW is not set"
    back, note = previous_body(e, {"PW": "old"}, SALT, "")
    assert back is not None and back["brokerage"]["pw"] == "old" and note == ""


def watch_through(statuses: list[str], window: float) -> str:
    """creating.watch over a deployment that reports `statuses` in turn (then its last one), one second apart."""
    ticks = itertools.count()
    seen = iter(statuses)
    last: list[str] = []

    def status(pid: int, deploy_id: str) -> LiveDeployment:
        last[:] = [next(seen, last[0] if last else statuses[-1])]
        return LiveDeployment(1, deploy_id, last[0])

    board = SimpleNamespace(status=status, waiting=nullcontext, shared=lambda: False)
    poller = Poller(interval=0.001, max_interval=0.001, clock=lambda: float(next(ticks)))
    c = ctx(board=board, poller=poller, starts=Pace(), timeout=60.0)
    try:
        return creating.watch(c, "m", 1, "L-new", window)
    except QcdeployError as exc:
        return f"not healthy: {exc}"


@pytest.mark.parametrize("ended", ["Stopped", "Liquidated", "RuntimeError"])
def test_a_deployment_that_ends_inside_its_health_window_is_not_healthy(ended):
    said = watch_through(["InQueue", "Running", "Running", ended], window=30)
    assert said != "L-new Running" and ended in said
    assert watch_through(["InQueue", "Running"], window=5) == "L-new Running"


class Stops:
    """live/stop recorder: a rollback must stop only the new deployment it made."""

    def __init__(self) -> None:
        self.stopped: list[int] = []

    def live_stop(self, pid: int, liquidate: bool = False) -> None:
        self.stopped.append(pid)


def roll_back(now: LiveDeployment | None, entry_: Any = "recorded", rollback: bool = True) -> tuple[Result, Stops]:
    d = desired()
    made = entry(d) if entry_ == "recorded" else entry_
    r = Result(change(Action.REPLACE, desired=d, entry=made), deploy_id="L-new")
    api = Stops()
    c = ctx(api=api, read_or_none=lambda pid: now, options=SimpleNamespace(rollback=rollback))
    rollback_step(c, r, "L-new ended in DeployError")
    return r, api


def test_a_rollback_that_cannot_read_the_state_says_flat():
    r, api = roll_back(None)
    assert r.flat.startswith("its state cannot be read after: L-new ended in DeployError") and api.stopped == []


@pytest.mark.parametrize("status", ["Running", "InQueue", "LoggingIn"])
def test_a_rollback_never_stops_a_deployment_it_did_not_make(status):
    """The old deployment never stopped, or another tool's started: something runs, and it is not ours to stop."""
    r, api = roll_back(LiveDeployment(1, "L-other", status))
    assert api.stopped == [] and r.flat == ""


def test_a_rollback_of_a_deployment_qcdeploy_did_not_start_says_why_it_is_flat():
    r, _ = roll_back(LiveDeployment(1, "L-new", "DeployError"), entry_=None)
    assert "not rolled back: qcdeploy did not start the deployment it replaces" in r.flat
    r, _ = roll_back(LiveDeployment(1, "L-new", "DeployError"), rollback=False)
    assert "not rolled back: --no-rollback" in r.flat


class Portfolio:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def live_portfolio(self, pid: int) -> Any:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def carried(now: Any, planned: Exposure | None) -> Any:
    r = Result(change(Action.REPLACE, exposure=planned), body={"brokerage": {"id": "QuantConnectBrokerage"}})
    stopping._carry_portfolio(ctx(api=Portfolio(now)), r, 1)
    return r.carried


def test_a_paper_replace_carries_the_portfolio_read_just_before_its_stop_not_the_plans():
    planned = Exposure(cash={"USD": 1.0})
    fresh = {"portfolio": {"holdings": {}, "cash": {"USD": {"amount": 2.0}}}}
    assert carried(fresh, planned) == {"cash": [{"amount": 2.0, "currency": "USD"}]}
    assert carried(ApiError("HTTP 500"), planned) == {"cash": [{"amount": 1.0, "currency": "USD"}]}
    with pytest.raises(StepFailed, match="paper portfolio to carry into the new deployment is unknown"):
        carried(ApiError("HTTP 500"), Exposure(unknown="HTTP 500"))


class Ledger:
    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.removed: list[str] = []

    def remove(self, name: str) -> None:
        if self.fails:
            raise LedgerError("the ledger cannot be written")
        self.removed.append(name)


def test_a_stopped_deployment_leaves_the_ledger_and_a_plain_stop_that_cannot_record_it_fails():
    """Left in the ledger, a deployment stopped on purpose would read as "stopped outside qcdeploy" and be
    deployed again by the next apply; a replace goes on to its create, which records the new one anyway."""
    d = desired()
    for kind in (Action.STOP, Action.REPLACE):
        ledger = Ledger(fails=False)
        stopping._forget(ctx(ledger=ledger), Result(change(kind, desired=d, entry=entry(d))))
        assert ledger.removed == ["m"]
    with pytest.raises(LedgerError):
        stopping._forget(ctx(ledger=Ledger(fails=True)), Result(change(Action.STOP, desired=d, entry=entry(d))))
    stopping._forget(ctx(ledger=Ledger(fails=True)), Result(change(Action.REPLACE, desired=d, entry=entry(d))))
