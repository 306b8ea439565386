"""Reconciling an unclear create and classifying how a new deployment ended: what someone else did is a decision."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from qcdeploy.apply.reconcile import Candidate, differences, server_time
from qcdeploy.model import LiveDeployment

SENT = {"compileId": "c-1", "nodeId": "LN-1", "brokerage": {"id": "InteractiveBrokersBrokerage"}}
AT = datetime(2026, 12, 7, 10, 0, 0, tzinfo=timezone.utc)


def seen(launched: datetime = AT, brokerage: str = "Interactive", node: str | None = "LN-1", compile_id: str = ""):
    return Candidate(LiveDeployment(1, "L-2", "Running", launched=launched, brokerage=brokerage), compile_id, node)


def test_a_candidate_that_matches_what_was_sent_may_be_ours():
    assert differences(SENT, seen(), AT) == []
    assert differences(SENT, seen(brokerage="Something New", node=None), None) == []  # unknowns are not proof


def test_each_contradiction_is_named():
    assert differences(SENT, seen(brokerage="PaperBrokerage"), AT) == [
        "brokerage PaperBrokerage, not InteractiveBrokersBrokerage"
    ]
    assert differences(SENT, seen(node="LN-2"), AT) == ["on node LN-2, not LN-1"]
    assert differences(SENT, seen(compile_id="c-9"), AT) == ["compile c-9, not c-1"]
    early = differences(SENT, seen(launched=AT - timedelta(seconds=5)), AT)
    assert early == ["launched 2026-12-07 09:59:55Z, before the create was sent (10:00:00Z)"]
    assert differences(SENT, seen(launched=AT - timedelta(seconds=1)), AT) == []  # whole seconds, two servers


def test_the_send_time_is_the_servers_date_header():
    assert server_time("Mon, 07 Dec 2026 10:00:00 GMT") == AT
    assert server_time(None) is None and server_time("yesterday") is None


def test_a_stop_or_liquidation_is_someone_elses_decision_a_crash_is_not():
    from qcdeploy.apply.ending import StoppedOutside, stopped_outside

    for status in ("Stopped", "Liquidated"):
        found = stopped_outside("L-2", LiveDeployment(1, "L-2", status), "during the health window")
        assert isinstance(found, StoppedOutside) and found.lasting
        assert f"L-2 {status}: stopped by someone else during the health window; not rolled back" in str(found)
    for status in ("RuntimeError", "DeployError"):
        assert stopped_outside("L-2", LiveDeployment(1, "L-2", status), "during the health window") is None
