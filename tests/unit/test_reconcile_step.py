"""Claiming the deployment found after an unclear create (apply/reconcile.py), with the API replaced by a fake: an
active one is compared with the node the node list says holds the project, a contradiction raises the loud
ForeignDeployment (lasting, naming what runs and why) and is never claimed, and a look tells a project known to
have no deployment from one whose state could not be read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply.reconcile import Candidate, ForeignDeployment, claim, differences, look
from qcdeploy.errors import ApiError
from qcdeploy.model import LiveDeployment
from qcdeploy.quantconnect.decode import NOT_DEPLOYED

SENT = {"compileId": "c-1", "nodeId": "LN-1", "brokerage": {"id": "InteractiveBrokersBrokerage"}}
AT = datetime(2026, 12, 7, 10, 0, 0, tzinfo=timezone.utc)


class Api:
    """live/read of project 1 (an answer or an ApiError) and the node list any project of the organization sees."""

    def __init__(self, read: Any = None, nodes: Any = ()) -> None:
        self.read, self.nodes = read, nodes

    def live_read(self, pid: int) -> Any:
        assert pid == 1
        if isinstance(self.read, Exception):
            raise self.read
        return self.read

    def project_live_nodes(self, pid: int) -> Any:
        assert pid == 1
        if isinstance(self.nodes, Exception):
            raise self.nodes
        return list(self.nodes)


def ctx(api: Api) -> Any:
    logged: list[tuple[str, str]] = []
    return SimpleNamespace(api=api, log=lambda name, message: logged.append((name, message)), logged=logged)


def found(status: str = "Running", launched: datetime = AT, node: str | None = None) -> Candidate:
    dep = LiveDeployment(1, "L-2", status, launched=launched, brokerage="Interactive")
    return Candidate(dep, "c-1", node)


def node(id: str, busy: bool = True, pid: Any = 1) -> dict[str, Any]:
    return {"id": id, "busy": busy, "projectId": pid}


def test_an_active_candidate_on_the_node_it_was_sent_to_is_claimed():
    c = ctx(Api(nodes=[node("LN-9", pid=2), node("LN-8", busy=False), node("LN-1")]))
    assert claim(c, "m", SENT, found(), AT) == "L-2"
    assert c.logged == [("m", "it was deployed: L-2 (Running)")]


def test_an_active_candidate_on_another_node_is_another_tools():
    c = ctx(Api(nodes=[node("LN-9", pid=2), node("LN-8", busy=False), node("LN-2")]))
    with pytest.raises(ForeignDeployment) as caught:
        claim(c, "m", SENT, found(), AT)
    said = str(caught.value)
    assert caught.value.lasting and said.startswith("ANOTHER TOOL DEPLOYED THIS PROJECT")
    assert "project 1 runs L-2 (Running)" in said and "(on node LN-2, not LN-1)" in said
    assert "`qcdeploy adopt m`" in said
    assert c.logged == [("m", said)]


def test_a_node_list_that_cannot_be_read_or_names_no_holder_proves_nothing():
    assert claim(ctx(Api(nodes=ApiError("HTTP 500"))), "m", SENT, found(), AT) == "L-2"
    assert claim(ctx(Api(nodes=[node("LN-2", pid=2)])), "m", SENT, found(), AT) == "L-2"


def test_an_ended_candidate_is_judged_without_the_node_list():
    crashed = found("RuntimeError", node="LN-1")
    assert claim(ctx(Api(nodes=ApiError("never read"))), "m", SENT, crashed, AT) == "L-2"


def test_a_candidate_launched_before_the_send_is_never_claimed():
    early = found(launched=AT - timedelta(seconds=5), node="LN-1")
    with pytest.raises(ForeignDeployment, match="before the create was sent"):
        claim(ctx(Api(nodes=[node("LN-1")])), "m", SENT, early, AT)


def test_every_contradiction_is_named_in_the_error():
    other = Candidate(LiveDeployment(1, "L-2", "Stopped", brokerage="PaperBrokerage"), "c-9", None)
    with pytest.raises(ForeignDeployment) as caught:
        claim(ctx(Api()), "m", SENT, other, AT)
    assert "(brokerage PaperBrokerage, not InteractiveBrokersBrokerage; compile c-9, not c-1)" in str(caught.value)


def test_the_compile_sent_and_no_brokerage_sent_contradict_nothing():
    assert differences(SENT, found(node="LN-1"), AT) == []
    assert differences({**SENT, "brokerage": None}, found(node="LN-1"), AT) == []


def test_a_look_finds_the_deployment_newer_than_the_baseline_with_its_compile():
    answer = {"deployId": "L-2", "status": "Running", "compileId": "c-1"}  # live/read need not repeat projectId
    known, candidate = look(ctx(Api(answer)), 1, "L-1")
    assert (known, candidate) == (True, Candidate(LiveDeployment(1, "L-2", "Running"), "c-1"))
    assert look(ctx(Api({**answer, "compileId": None})), 1, "L-1")[1] == Candidate(LiveDeployment(1, "L-2", "Running"))
    assert look(ctx(Api(answer)), 1, "L-2") == (True, None)


def test_a_look_knows_a_never_deployed_project_and_not_a_failed_read():
    never = ApiError(f"live/read: {NOT_DEPLOYED}")
    assert look(ctx(Api(never)), 1, None) == (True, None)
    assert look(ctx(Api(ApiError("live/read: HTTP 500"))), 1, None) == (False, None)
