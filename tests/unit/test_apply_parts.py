"""Pure parts of apply: the create body, its preflight checks, wave grouping, the summary."""

from __future__ import annotations

import json
from types import SimpleNamespace

from qcdeploy.apply.body import create_body, empty_secrets, problems
from qcdeploy.apply.creating import deploy_id_of as _deploy_id
from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.apply.summary import as_json, text
from qcdeploy.apply.waves import waves
from qcdeploy.model import Action, Replace
from tests.builders import change


def fields(**over):
    base = {
        "projectId": 1,
        "nodeId": "LN-1",
        "compile": "latest",
        "versionId": "-1",
        "brokerage": {"id": "InteractiveBrokersBrokerage", "ib-user-name": "u", "ib-account": 1234567},
        "dataProviders": {"QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}},
        "parameters": {},
        "automaticRedeploy": False,
    }
    return base | over


def test_body_sends_brokerage_values_as_the_lean_cli_does_and_the_compile_id():
    """lean-cli `JsonModule.get_settings`: `str(value)`, so booleans are "True"/"False" (not JSON's spelling)."""
    brokerage = {"id": "QuantConnectBrokerage", "n": 7, "b": True, "f": False, "x": 1.5, "cash": [{"amount": 5}]}
    body = create_body(fields(brokerage=brokerage), "c-1", "")
    assert body["compileId"] == "c-1" and "compile" not in body
    strings = {"n": "7", "b": "True", "f": "False", "x": "1.5"}
    assert body["brokerage"] == {"id": "QuantConnectBrokerage", **strings, "cash": [{"amount": 5}]}


def test_preflight_problems_name_missing_keys_unknown_ids_and_non_json():
    body = create_body(fields(), "c-1", "")
    assert problems(body) == [
        "brokerage InteractiveBrokersBrokerage needs ib-password, ib-weekly-restart-utc-time",
    ]
    typo = create_body(fields(brokerage={"id": "InteractivBrokersBrokerage"}), "c", "")
    assert "did you mean 'InteractiveBrokersBrokerage'?" in problems(typo)[0]
    nan = create_body(fields(brokerage={"id": "QuantConnectBrokerage"}, parameters={"x": float("inf")}), "c", "")
    assert [p.split(" (")[0] for p in problems(nan)] == ["the create body is not valid JSON"]
    binance = create_body(fields(brokerage={"id": "BinanceBrokerage", "binance-exchange-name": "BinanceUS"}), "c", "")
    assert problems(binance) == ["brokerage BinanceBrokerage needs binanceus-api-key, binanceus-api-secret"]
    provider = create_body(
        fields(brokerage={"id": "QuantConnectBrokerage"}, dataProviders={"P": {"id": "Polygon"}}), "c", ""
    )
    assert problems(provider) == ["data provider P Polygon needs polygon-api-key"]


def test_empty_secret_is_found():
    body = create_body(fields(brokerage={"id": "QuantConnectBrokerage", "pw": ""}), "c", "")
    assert empty_secrets(body, [("brokerage", "pw")]) == ["brokerage.pw"]
    assert empty_secrets(body, [("brokerage", "id")]) == []


def replace_result(name, old_node, new_node):
    entry = SimpleNamespace(spec={"nodeId": old_node})
    desired = SimpleNamespace(node=SimpleNamespace(id=new_node))
    return Result(Replace(name=name, reasons=(), desired=desired, observed=None, entry=entry))  # type: ignore[arg-type]


def test_waves_keep_node_swaps_together_and_respect_the_size():
    a, b = replace_result("a", "N1", "N2"), replace_result("b", "N2", "N1")  # a swap
    c, d = replace_result("c", "N3", "N3"), replace_result("d", "N4", "N4")
    assert [[r.change.name for r in w] for w in waves([a, c, b, d], 1)] == [["a", "b"], ["c"], ["d"]]
    assert [[r.change.name for r in w] for w in waves([a, c, b, d], 3)] == [["a", "b", "c"], ["d"]]
    assert [[r.change.name for r in w] for w in waves([c, d], 4)] == [["c", "d"]]


def test_summary_opens_with_flat_and_json_marks_it():
    flat = Result(
        change(Action.REPLACE, "alpha"), Outcome.FAILED, "create refused", flat="no deployment is running (x)"
    )
    back = Result(change(Action.REPLACE, "beta"), Outcome.ROLLED_BACK, "to c-1: new deployment failed: boom")
    done = Result(change(Action.CREATE, "gamma"), Outcome.DONE, "L-1 Running")
    out = text([done, back, flat], False, lambda s, c: s, "")
    assert out.splitlines()[1] == "FLAT alpha: no deployment is running (x)"
    assert "Apply finished: 1 done, 1 rolled back, 1 failed, 0 not attempted." in out
    assert "  ROLLED BACK beta to c-1: new deployment failed: boom" in out
    doc = json.loads(as_json([done, back, flat], False))
    assert doc["flat"] == [{"name": "alpha", "why": "no deployment is running (x)"}]
    skipped = Result(change(Action.CREATE, "delta"), Outcome.NOT_ATTEMPTED, "interrupted")
    again = text([skipped], True, lambda s, c: s, "live")
    assert "Run `qcdeploy apply --env live` again to finish" in again
    assert [r["outcome"] for r in doc["results"]] == ["done", "rolled back", "failed"]


def test_deploy_id_may_be_nested():
    assert _deploy_id({"deployId": "L-1"}) == "L-1"
    assert _deploy_id({"live": {"deployId": "L-2"}}) == "L-2"
    assert _deploy_id({"live": None}) == ""
