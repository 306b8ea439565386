"""plan_fleet and apply_plan, the core of `qcdeploy apply`, called without the CLI against the sandbox: every
gate refuses before anything is sent, an override is recorded first, and the interrupt flag it hands out stops
new work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qcdeploy.apply.context import ApplyOptions, Context
from qcdeploy.apply.executor import line_logger
from qcdeploy.apply.outcome import Outcome
from qcdeploy.apply.run import Applied, Gates, Promotion, Window, apply_plan
from qcdeploy.apply.waiting import Poller
from qcdeploy.config import Credentials
from qcdeploy.errors import PlanRefused
from qcdeploy.ledger.backends import open_backend
from qcdeploy.ledger.store import Ledger
from qcdeploy.manifests.load import load
from qcdeploy.model import LiveState, Plan
from qcdeploy.planning.fleet import plan_fleet
from qcdeploy.planning.planner import PlanOptions
from qcdeploy.planning.resolve import resolve
from qcdeploy.planning.safety import Limits
from qcdeploy.quantconnect.decode import read_state
from qcdeploy.quantconnect.endpoints import Api
from qcdeploy.quantconnect.transport import Client
from tests.helpers import API_TOKEN, ORG, P_MEANREV, P_MOMENTUM, USER_ID, Sandbox, manifest, write

WRITES = ("compile/create", "live/create", "live/update/stop", "live/update/liquidate", "projects/update")


class Pieces:
    """A plan of two creates, made from manifests on disk against the sandbox, and a context to carry it out."""

    def __init__(self, sandbox: Sandbox, tmp_path: Path) -> None:
        self.sandbox = sandbox
        path = write(
            tmp_path / "m",
            "a.yaml",
            manifest("momentum", P_MOMENTUM),
            manifest("meanrev", P_MEANREV, node="live-node-2"),
        )
        self.api = Api(Client(sandbox.url, Credentials(USER_ID, API_TOKEN, ORG)))
        self.ledger = Ledger.load(open_backend(str(tmp_path / "ledger.json")))
        self.state: LiveState = read_state(self.api, ORG)
        desired = resolve(load([str(path)], {}).manifests, self.state)
        self.plan: Plan = plan_fleet(
            self.api, desired, self.state, self.ledger.entries, self.ledger.salt, PlanOptions()
        )
        self.lines: list[str] = []
        self.warnings: list[str] = []
        poller = Poller(0.05, 0.5)
        self.ctx = Context(self.api, self.ledger, poller, line_logger(self.lines.append), ApplyOptions(health_window=0))
        self.asked = 0

    def confirm(self) -> None:
        self.asked += 1

    def apply(self, gates: Gates, **kw: object) -> Applied:
        return apply_plan(self.plan, self.state, gates, self.ctx, self.confirm, self.warnings.append, **kw)  # type: ignore[arg-type]

    def writes(self) -> int:
        return sum(n for call, n in self.sandbox.calls().items() if call.strip("/").endswith(WRITES))


@pytest.fixture
def pieces(sandbox: Sandbox, tmp_path: Path) -> Pieces:
    return Pieces(sandbox, tmp_path)


def test_an_open_plan_is_asked_for_then_carried_out(pieces: Pieces):
    applied = pieces.apply(Gates())
    assert applied.ok and not applied.interrupted and pieces.asked == 1
    assert sorted(r.change.name for r in applied.results) == ["meanrev", "momentum"]
    assert set(Ledger.load(pieces.ledger.backend).entries) == {"meanrev", "momentum"}
    assert len(pieces.sandbox.active(P_MOMENTUM)) == 1 and len(pieces.sandbox.active(P_MEANREV)) == 1
    assert pieces.writes() == 4  # a compile and a create each: what the refusals below are measured by


def test_a_closed_window_refuses_before_anything_is_sent_or_asked(pieces: Pieces):
    with pytest.raises(PlanRefused, match="not allowed now \\(weekend\\); next allowed: Monday"):
        pieces.apply(Gates(window=Window("weekend", "Monday")))
    assert pieces.writes() == 0 and pieces.asked == 0
    assert (pieces.ledger.backend.read() or {}).get("history") is None


def test_an_override_is_recorded_in_the_ledger_before_the_first_step(pieces: Pieces):
    gates = Gates(Limits(ignore_windows="hotfix INC-42"), Window("weekend", "Monday"))
    assert pieces.apply(gates).ok
    [event] = (pieces.ledger.backend.read() or {})["history"]
    assert (event["event"], event["closed"], event["reason"]) == (
        "change window overridden",
        "weekend",
        "hotfix INC-42",
    )
    assert pieces.warnings == ["Warning: applying outside the change windows (weekend); reason recorded: hotfix INC-42"]


def test_an_unmet_promotion_gate_refuses_and_its_notes_are_said(pieces: Pieces):
    promotion = Promotion("paper (1 day Running)", ("momentum: never deployed in paper",), ("a note",))
    with pytest.raises(PlanRefused, match="only what has run Running in paper \\(1 day Running\\) first; momentum"):
        pieces.apply(Gates(promotion=promotion))
    assert pieces.writes() == 0 and pieces.warnings == ["Note: a note"]


def test_an_override_is_not_recorded_when_a_later_gate_refuses(pieces: Pieces):
    promotion = Promotion("paper (1 day Running)", ("momentum: never deployed in paper",))
    gates = Gates(Limits(ignore_windows="hotfix INC-42"), Window("weekend", "Monday"), promotion)
    with pytest.raises(PlanRefused, match="only what has run Running in paper"):
        pieces.apply(gates)
    assert pieces.writes() == 0 and (pieces.ledger.backend.read() or {}).get("history") is None


def test_an_override_is_not_recorded_when_the_user_says_no(pieces: Pieces):
    def refuse() -> None:
        raise PlanRefused("apply cancelled; nothing was changed")

    gates = Gates(Limits(ignore_windows="hotfix INC-42"), Window("weekend", "Monday"))
    with pytest.raises(PlanRefused, match="cancelled"):
        apply_plan(pieces.plan, pieces.state, gates, pieces.ctx, refuse, pieces.warnings.append)
    assert (pieces.ledger.backend.read() or {}).get("history") is None


def test_limits_the_plan_keeps_do_not_hide_a_closed_window(pieces: Pieces):
    # two creates stop nothing, so --max-stops 0 holds; the closed window still refuses
    with pytest.raises(PlanRefused, match="not allowed now"):
        pieces.apply(Gates(Limits(max_stops=0), Window("freeze", "later")))
    assert pieces.writes() == 0


def test_a_refused_confirmation_changes_nothing(pieces: Pieces):
    def refuse() -> None:
        raise PlanRefused("apply cancelled; nothing was changed")

    with pytest.raises(PlanRefused):
        apply_plan(pieces.plan, pieces.state, Gates(), pieces.ctx, refuse, pieces.warnings.append)
    assert pieces.writes() == 0


def test_the_guard_is_handed_the_flag_that_stops_new_work(pieces: Pieces):
    seen: list[threading.Event] = []

    @contextmanager
    def interrupted_at_once(flag: threading.Event, abandon: threading.Event) -> Iterator[None]:
        seen.append(flag)
        flag.set()  # as a Ctrl-C before the first step would
        yield

    applied = pieces.apply(Gates(), guard=interrupted_at_once)
    assert seen == [pieces.ctx.poller.cancel] and applied.interrupted and not applied.ok
    assert all(r.outcome is Outcome.NOT_ATTEMPTED for r in applied.results)
    assert {r.detail for r in applied.results} == {"interrupted before it started"}
    assert pieces.writes() == 0


def test_no_changes_asks_nothing_and_reads_nothing_more(pieces: Pieces):
    calls = pieces.sandbox.calls()
    applied = apply_plan(Plan(()), pieces.state, Gates(), pieces.ctx, pieces.confirm, pieces.warnings.append)
    assert applied.ok and applied.results == [] and pieces.asked == 0
    assert pieces.sandbox.calls() == calls


def test_a_window_that_closes_during_the_apply_starts_no_new_change(pieces: Pieces):
    """The first create starts while the window is open; the window closes; the second is held back and the
    summary says so. (Stops and creates went on for seconds after a window closed.)"""
    from qcdeploy.apply import summary

    asked: list[str] = []

    def window_now() -> str:
        asked.append("now")
        return "" if len(asked) == 1 else "inside deny window mon-fri 09:30-16:00 America/New_York"

    pieces.ctx.options = ApplyOptions(health_window=0, parallelism=1)
    applied = pieces.apply(Gates(window=Window(now=window_now)))
    outcomes = {r.change.name: (r.outcome, r.detail) for r in applied.results}
    assert outcomes["meanrev"][0] is Outcome.DONE  # planned first (by name); finished
    assert outcomes["momentum"] == (
        Outcome.NOT_ATTEMPTED,
        "held back: the change window closed during the apply (inside deny window mon-fri 09:30-16:00 "
        "America/New_York)",
    )
    assert pieces.sandbox.deployments(P_MOMENTUM) == [] and len(pieces.sandbox.active(P_MEANREV)) == 1
    text = summary.text(applied.results, applied.interrupted, lambda s, _: s, "")
    assert "skipped + momentum: held back: the change window closed during the apply" in text


def test_an_overridden_window_is_not_asked_again_during_the_apply(pieces: Pieces):
    closed = "inside freeze 2026-12-24..2026-12-26 UTC"
    gates = Gates(Limits(ignore_windows="hotfix"), Window(closed, "later", now=lambda: closed))
    assert pieces.apply(gates).ok
