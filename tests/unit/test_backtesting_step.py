"""The backtest gate step with the API, ledger and clock replaced: the exact compile is backtested with the
manifest's parameters; a backtest that fails its thresholds, errs, never finishes or is interrupted refuses the
change before anything stops; a pass is recorded once and reused by compile or by code; only a manifest with a
gate is gated."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply.backtesting import backtest_step, gated
from qcdeploy.apply.outcome import Interrupted, Result, StepFailed
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import LedgerError
from qcdeploy.model import Action
from qcdeploy.planning.backtestgate import parameters_hash
from tests.builders import change, desired

COMPILE = "c-123456789"
PARAMS = {"fast": "10"}
HASH = parameters_hash(PARAMS)
DONE = {
    "completed": True,
    "statistics": {"Sharpe Ratio": 1.5},
    "backtestStart": "2024-01-02",
    "backtestEnd": "2025-01-01",
}
GATE = {"minSharpe": 1, "start": "2024-06-01", "end": "2024-12-31"}


class Api:
    """backtests/create answering `created`; backtests/read answering `reads` in turn, then the last again."""

    def __init__(self, reads: list[dict[str, Any]], created: Any = None) -> None:
        self.reads, self.created = reads, {"backtest": {"backtestId": "B-1"}} if created is None else created
        self.sent: list[tuple[Any, ...]] = []

    def backtest_create(self, pid: int, compile_id: str, name: str, parameters: dict[str, str]) -> Any:
        self.sent.append(("create", pid, compile_id, name, parameters))
        return self.created

    def backtest_read(self, pid: int, backtest_id: str) -> Any:
        self.sent.append(("read", pid, backtest_id))
        return {"backtest": self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]}


class Ledger:
    def __init__(self, backtests: dict[str, Any] | None = None, fails: bool = False) -> None:
        self.backtests, self.fails = backtests or {}, fails
        self.recorded: dict[str, Any] = {}

    def record_backtest(self, key: str, record: dict[str, Any]) -> None:
        if self.fails:
            raise LedgerError("the ledger cannot be written")
        self.recorded[key] = record


class Instant(Poller):
    """A poller whose pauses take no time; its clock moves one second per reading."""

    def _pause(self, seconds: float, cancellable: bool) -> None:
        pass


def step(
    api: Api, ledger: Ledger | None = None, gate: Any = None, cancel: bool = False, logged: list[str] | None = None
) -> tuple[Result, Any]:
    ticks = itertools.count()
    d = desired(pid=7, gates={"backtest": GATE if gate is None else gate})
    r = Result(change(Action.REPLACE, desired=d), compile_id=COMPILE, code_hash="h-1", body={"parameters": PARAMS})
    logged = [] if logged is None else logged
    poller = Instant(progress_every=3.0, clock=lambda: float(next(ticks)))
    if cancel:
        poller.cancel.set()
    c: Any = SimpleNamespace(
        api=api,
        ledger=ledger or Ledger(),
        poller=poller,
        timeout=10.0,
        log=lambda name, message: logged.append(f"{name}: {message}"),
        logged=logged,
        progress=lambda r, what: lambda seconds: logged.append(f"{r.change.name}: still waiting for {what}"),
        stamp=lambda: "2026-12-01T00:00:00Z",
    )
    backtest_step(c, r)
    return r, c


def test_the_exact_compile_is_backtested_with_the_manifests_parameters_and_its_pass_recorded():
    api = Api([{"completed": False}, {"completed": True, "statistics": None}, DONE])
    ledger = Ledger()
    _, c = step(api, ledger)
    assert api.sent == [
        ("create", 7, COMPILE, "qcdeploy gate: m c-123456", PARAMS),
        *[("read", 7, "B-1")] * 3,  # completed is not finished until the statistics are there
    ]
    assert ledger.recorded == {
        f"7:{COMPILE}:{HASH}": {
            "projectId": 7,
            "compileId": COMPILE,
            "backtestId": "B-1",
            "statistics": {"Sharpe Ratio": "1.5"},
            "start": "2024-01-02",
            "end": "2025-01-01",
            "codeHash": "h-1",
            "parameters": HASH,
            "passedAt": "2026-12-01T00:00:00Z",
            "name": "m",
        }
    }
    assert "m: backtesting compile c-123456789 (B-1)" in c.logged
    assert any(line.startswith("m: backtest gate passed (backtest B-1)") and "Sharpe 1.5" in line for line in c.logged)


def test_a_backtest_below_its_threshold_refuses_the_change_and_is_not_recorded():
    ledger = Ledger()
    with pytest.raises(StepFailed, match=r"B-1 of compile c-123456789.*Sharpe 0.5 < 1.*nothing was stopped") as e:
        step(Api([{**DONE, "statistics": {"Sharpe Ratio": "0.5"}}]), ledger)
    assert e.value.lasting and ledger.recorded == {}


def test_a_backtest_that_does_not_cover_the_gates_period_refuses_the_change():
    with pytest.raises(StepFailed, match="backtest start 2024-07-01 > 2024-06-01"):
        step(Api([{**DONE, "backtestStart": "2024-07-01"}]))
    with pytest.raises(StepFailed, match="backtest end 2024-11-30 < 2024-12-31"):
        step(Api([{**DONE, "backtestEnd": "2024-11-30"}]))


def test_a_backtest_that_errs_refuses_the_change_at_once():
    api = Api([{"error": "Runtime Error: boom", "completed": False}])
    with pytest.raises(StepFailed, match="B-1 failed: Runtime Error: boom; nothing was stopped") as e:
        step(api)
    assert e.value.lasting and api.sent[1:] == [("read", 7, "B-1")]


def test_a_backtest_that_never_finishes_refuses_the_change_for_this_run_only():
    api, logged = Api([{"completed": False}]), list[str]()
    with pytest.raises(StepFailed, match="did not finish within 10s; nothing was stopped") as e:
        step(api, logged=logged)
    assert not e.value.lasting and len(api.sent) > 2 and "m: still waiting for backtest B-1" in logged


def test_an_interrupt_during_the_backtest_stops_the_apply_before_anything_stops():
    with pytest.raises(Interrupted, match="nothing was stopped"):
        step(Api([{"completed": False}]), cancel=True)


@pytest.mark.parametrize("created", [{}, {"backtest": None}, {"backtest": {"backtestId": ""}}])
def test_a_backtest_create_without_an_id_refuses_the_change(created):
    api = Api([DONE], created=created)
    with pytest.raises(StepFailed, match="returned no backtestId") as e:
        step(api)
    assert str(e.value).endswith("; nothing was stopped")
    assert [call[0] for call in api.sent] == ["create"]


def record(**kw: Any) -> dict[str, Any]:
    return {"projectId": 7, "compileId": "c-old", "backtestId": "B-0", "codeHash": "h-0", "parameters": HASH,
            "statistics": {"Sharpe Ratio": "2"}, "start": "2024-01-01", "end": "2025-01-01", **kw}  # fmt: skip


@pytest.mark.parametrize("kept", [record(compileId=COMPILE), record(codeHash="h-1")])
def test_a_pass_recorded_for_the_same_compile_or_code_is_reused_without_a_backtest(kept):
    api, ledger = Api([DONE]), Ledger({"k": kept})
    _, c = step(api, ledger)
    assert api.sent == [] and ledger.recorded == {}
    assert any(line.startswith("m: backtest gate passed (backtest B-0)") for line in c.logged)


def test_a_reused_pass_is_checked_against_todays_thresholds():
    with pytest.raises(StepFailed, match=r"B-0 .*Sharpe 2 < 3"):
        step(Api([DONE]), Ledger({"k": record(compileId=COMPILE)}), gate={"minSharpe": 3})


def test_a_pass_of_other_parameters_is_not_reused():
    api = Api([DONE])
    step(api, Ledger({"k": record(compileId=COMPILE, parameters=parameters_hash({"fast": "20"}))}))
    assert api.sent[0][0] == "create"


def test_a_pass_that_cannot_be_recorded_still_passes_and_says_it_will_run_again():
    _, c = step(Api([DONE]), Ledger(fails=True))
    assert any(line.startswith("m: backtest pass not recorded") and "runs it again" in line for line in c.logged)


def test_a_backtest_that_reports_no_period_records_it_as_unknown():
    ledger = Ledger()
    step(Api([{"completed": True, "statistics": {"Sharpe Ratio": "2"}}]), ledger, gate={"minSharpe": 1})
    ((_, kept),) = ledger.recorded.items()
    assert (kept["start"], kept["end"]) == ("", "")


def test_only_a_deployment_with_a_backtest_gate_is_gated():
    assert gated(Result(change(Action.CREATE, desired=desired(gates={"backtest": {}}))))
    assert gated(Result(change(Action.REPLACE, desired=desired(gates={"backtest": {"minSharpe": 1}}))))
    assert not gated(Result(change(Action.CREATE, desired=desired(gates={"backtest": None}))))
    assert not gated(Result(change(Action.CREATE, desired=desired(gates={}))))
    assert not gated(Result(change(Action.CREATE, desired=desired(gates=None))))
    assert not gated(Result(change(Action.CREATE, desired=desired())))
    assert not gated(Result(change(Action.STOP)))
