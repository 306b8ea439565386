"""What apply tells the operator when it ends: the summary's lines (FLAT first, in red; each change with its
deploy id or why it failed; the failed deployment's log; what to do next), the same in JSON, and the events
sent to the notification targets."""

from __future__ import annotations

import json

from qcdeploy.apply.events import from_results
from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.apply.summary import as_json, text
from qcdeploy.model import Action
from tests.builders import change, live


class Styler:
    """Marks each styled text with its colour, and remembers what it styled."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, s: str, colour: str) -> str:
        self.calls.append((s, colour))
        return f"<{colour}>{s}</>"


def plain(s: str, colour: str) -> str:
    return s


def lines_of(results: list[Result], interrupted: bool = False) -> list[str]:
    return text(results, interrupted, plain, "live").splitlines()


def test_the_summary_opens_with_a_blank_line_and_ends_with_a_newline():
    out = text([Result(change(Action.CREATE, "a"), Outcome.DONE, "L-1 Running")], False, plain, "")
    assert out.startswith("\nApply finished: 1 done")
    assert out.endswith("L-1 Running\n")


def test_a_flat_strategy_is_the_first_line_and_red():
    style = Styler()
    flat = Result(change(Action.REPLACE, "alpha"), Outcome.FAILED, "create refused", flat="nothing runs")
    out = text([flat], False, style, "")
    assert out.splitlines()[1] == "<red>FLAT alpha: nothing runs</>"
    assert ("FLAT alpha: nothing runs", "red") in style.calls


def test_an_interrupted_apply_says_so_with_its_counts():
    skipped = Result(change(Action.CREATE, "a"), Outcome.NOT_ATTEMPTED, "interrupted")
    assert (
        lines_of([skipped], interrupted=True)[1]
        == "Apply interrupted: 0 done, 0 rolled back, 0 failed, 1 not attempted."
    )
    assert lines_of([skipped])[1].startswith("Apply finished: ")


def test_every_outcome_but_done_has_a_coloured_label():
    style = Styler()
    results = [
        Result(change(Action.CREATE, "a"), Outcome.DONE, "L-1 Running"),
        Result(change(Action.REPLACE, "b"), Outcome.ROLLED_BACK, "to c-1"),
        Result(change(Action.CREATE, "c"), Outcome.FAILED, "refused"),
        Result(change(Action.CREATE, "d"), Outcome.NOT_ATTEMPTED, "interrupted"),
    ]
    text(results, False, style, "")
    labels = [(s.strip(), colour) for s, colour in style.calls]
    assert labels == [("ROLLED BACK", "yellow"), ("FAILED", "red"), ("skipped", "yellow")]


def test_a_done_line_shows_the_deploy_id_or_else_what_was_done():
    with_id = Result(change(Action.CREATE, "a"), Outcome.DONE, "L-1 Running")
    without = Result(change(Action.STOP, "b"), Outcome.DONE)
    done_a, done_b = lines_of([with_id, without])[2:4]
    assert done_a.endswith("a: L-1 Running") and done_b.endswith("b: stop")


def test_a_failure_without_detail_ends_with_the_name():
    failed = Result(change(Action.CREATE, "a"), Outcome.FAILED)
    line = lines_of([failed])[2]
    assert "FAILED" in line and line.endswith(" a")


def test_what_before_stop_did_is_shown_under_its_change_only():
    drained = Result(change(Action.REPLACE, "a"), Outcome.DONE, "L-2 Running", drained="sent Liquidate, waited 3s")
    plain_stop = Result(change(Action.STOP, "b"), Outcome.DONE)
    out = lines_of([drained, plain_stop])
    assert out[3] == "      before the stop: sent Liquidate, waited 3s"
    assert sum("before the stop" in line for line in out) == 1


def test_the_failed_deployments_log_follows_its_line():
    logged = Result(change(Action.CREATE, "a"), Outcome.FAILED, "crashed", log_of="L-2", logs=("boom", "trace"))
    out = lines_of([logged])
    assert out[3:6] == ["      last 2 lines of L-2's log:", "      | boom", "      | trace"]


def test_an_empty_log_says_why_and_no_log_says_nothing():
    empty = Result(change(Action.CREATE, "a"), Outcome.FAILED, "crashed", log_of="L-2", logs_note="read failed")
    unlogged = Result(change(Action.CREATE, "b"), Outcome.FAILED, "refused", logs_note="never shown")
    out = lines_of([empty, unlogged])
    assert "      log of L-2: read failed" in out and not any("never shown" in line for line in out)


def test_a_lasting_failure_says_to_fix_the_cause_not_to_run_again():
    lasting = Result(change(Action.CREATE, "a"), Outcome.FAILED, "build error", lasting=True)
    out = lines_of([lasting])
    assert out[-1].startswith("Fix the causes above") and not any("again to finish" in line for line in out)


def test_json_holds_every_field_and_leaves_out_what_is_empty():
    full = Result(
        change(Action.REPLACE, "a"),
        Outcome.FAILED,
        "crashed",
        deploy_id="L-2",
        flat="nothing runs",
        drained="sent Liquidate",
        log_of="L-2",
        logs=("boom",),
        logs_note="",
    )
    bare = Result(change(Action.CREATE, "b"), Outcome.DONE, "L-3 Running", deploy_id="L-3")
    out = as_json([full, bare], True)
    doc = json.loads(out)
    assert out == json.dumps(doc, indent=2) + "\n"
    assert doc == {
        "interrupted": True,
        "flat": [{"name": "a", "why": "nothing runs"}],
        "results": [
            {
                "name": "a",
                "action": "replace",
                "outcome": "failed",
                "detail": "crashed",
                "deployId": "L-2",
                "flat": True,
                "beforeStop": "sent Liquidate",
                "log": {"deployId": "L-2", "lines": ["boom"], "note": ""},
            },
            {
                "name": "b",
                "action": "create",
                "outcome": "done",
                "detail": "L-3 Running",
                "deployId": "L-3",
                "flat": False,
            },
        ],
    }


def test_events_skip_what_was_not_attempted_and_keep_what_follows():
    skipped = Result(change(Action.CREATE, "a"))
    done = Result(change(Action.CREATE, "b"), Outcome.DONE, deploy_id="L-9")
    assert [e.deployment for e in from_results([skipped, done], "live", "t")] == ["b"]


def test_each_event_carries_environment_project_deploy_id_reason_and_time():
    stopped = Result(change(Action.STOP, "a", observed=live(pid=7, deploy="L-old")), Outcome.FAILED, flat="gone")
    failed, flat = from_results([stopped], "live", "2026-11-01T00:00:00Z")
    for event in (failed, flat):
        assert (event.environment, event.project, event.time) == ("live", 7, "2026-11-01T00:00:00Z")
        assert event.deploy_id == "L-old"  # nothing new was deployed: the stopped deployment's id
    assert failed.reason == "stop" and flat.reason == "gone"


def test_an_event_without_any_deployment_has_no_deploy_id():
    created = Result(change(Action.CREATE, "a"), Outcome.FAILED, "refused")
    [failed] = from_results([created], "live", "t")
    assert failed.deploy_id == "" and failed.reason == "refused"


def test_a_replace_that_liquidated_its_old_deployment_says_so_after_the_apply():
    sold = Result(change(Action.REPLACE, "a", liquidate=True), Outcome.DONE, "L-2 Running", stopped=True)
    kept = Result(change(Action.REPLACE, "b"), Outcome.DONE, "L-3 Running", stopped=True)
    never = Result(change(Action.REPLACE, "c", liquidate=True), Outcome.FAILED, "build error")  # nothing was stopped
    ended = Result(change(Action.LIQUIDATE, "d"), Outcome.DONE, "L-1 liquidated", stopped=True)  # its line says it
    out = lines_of([sold, kept, never, ended])
    assert [line for line in out if "liquidated first" in line] == [
        "      liquidated first: L-1 (onReplace: liquidate)"
    ]
    assert out[out.index("      liquidated first: L-1 (onReplace: liquidate)") - 1].endswith("a: L-2 Running")
    doc = json.loads(as_json([sold, kept, never, ended], False))
    assert [r.get("liquidated") for r in doc["results"]] == ["L-1", None, None, None]
