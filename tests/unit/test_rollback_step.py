"""The rollback step with the API, ledger and clock replaced by fakes: a replace whose new deployment failed
redeploys the recorded compile with the recorded spec (its parameters set back first, the paper portfolio carried,
the journal written before the create, the deployment recorded after it, a lost answer never taken for the failed
deployment); a stuck new deployment is stopped first and never created over; an old deployment that never stopped
gets its parameters back; and every way out, an error in any step included, ends with something running or a FLAT
line."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from qcdeploy.apply.outcome import Outcome, Result
from qcdeploy.apply.rollback import previous_body, rollback_step
from qcdeploy.errors import ApiError
from qcdeploy.model import Action, LiveDeployment
from qcdeploy.planning.fingerprint import is_sensitive
from qcdeploy.quantconnect.transport import AmbiguousWrite
from tests.builders import SALT, FakeApi, FakeLedger, change, desired, entry, logged_as, step_context

OLD, NEW = {"fast": "10"}, {"fast": "20"}
WHY = "L-2 ended in DeployError: boom"
OLD_RUN, NEW_RUN = LiveDeployment(1, "L-1", "Stopped"), LiveDeployment(1, "L-2", "DeployError")
CASH = {"cash": [{"amount": 7.0, "currency": "USD"}]}


def failed_replace(
    *, recorded: bool = True, lean: str = "", carried: Any = None, ledger: Any = None, **spec: Any
) -> Result:
    """A replace of L-1 (run with OLD parameters, compile c-1, `ledger` its entry's fields) by L-2 (NEW
    parameters), which failed."""
    was = desired(parameters=OLD, **spec)
    d = desired(parameters=NEW, **spec)
    d = dataclasses.replace(d, project=dataclasses.replace(d.project, parameters=OLD, lean_version=lean))
    c = change(Action.REPLACE, desired=d, entry=entry(was, **(ledger or {})) if recorded else None)
    body = {"brokerage": dict(d.manifest.spec["brokerage"]), "parameters": dict(NEW)}
    return Result(c, body=body, deploy_id="L-2", stopped=True, parameters_set=True, carried=carried)


def roll_back(
    r: Result, *deps: LiveDeployment, environ: Any = None, **options: Any
) -> tuple[Result, FakeApi, FakeLedger, Any]:
    api = FakeApi(*(deps or (OLD_RUN, NEW_RUN)), parameters=NEW)
    ledger = FakeLedger(*([r.change.entry] if r.change.entry else []), calls=api.calls)
    ctx = step_context(api, ledger, environ, **options)
    return r, api, ledger, ctx


def run(r: Result, api: FakeApi, ctx: Any) -> None:
    rollback_step(ctx, r, WHY)
    assert logged_as(ctx, "m")


def test_a_failed_replace_is_redeployed_from_the_recorded_compile_and_spec_and_recorded():
    r, api, ledger, ctx = roll_back(failed_replace(carried=CASH))
    run(r, api, ctx)
    assert [c[0] for c in api.sent()] == ["projects/update", "live/create"]
    assert api.sent("projects/update") == [("projects/update", 1, OLD)]  # the parameters it ran with, first
    [(_, pid, body)] = api.sent("live/create")
    assert pid == 1 and body["compileId"] == "c-1" and body["parameters"] == OLD
    assert body["brokerage"] == {"id": "QuantConnectBrokerage", **CASH}  # the portfolio goes back with it
    assert (r.outcome, r.deploy_id, r.flat) == (Outcome.ROLLED_BACK, "L-3", "")
    assert r.detail == f"to c-1: new deployment failed: {WHY}"
    assert api.status(1) == "Running"
    steps = [c[0] for c in api.calls if c[0] in ("live/create", "ledger.begin", "ledger.put")]
    assert steps == ["ledger.begin", "live/create", "ledger.begin"]  # journal before the create, record after
    assert ledger.writes[0][1] == "creating" and ledger.writes[1][1:] == ("watching", False, "L-3")
    back = ledger.entries["m"]
    assert (back.deploy_id, back.compile_id, back.applied_at) == ("L-3", "c-1", "2026-11-02T00:00:00Z")
    assert back.project_modified == "2026-11-03"  # qcdeploy's own parameter update is not a code change
    assert ledger.journal["m"].baseline == "L-2" and ledger.journal["m"].target.compile_id == "c-1"


def test_a_rollback_without_a_paper_portfolio_sends_the_recorded_brokerage_unchanged():
    r, api, _, ctx = roll_back(failed_replace())
    run(r, api, ctx)
    [(_, _, body)] = api.sent("live/create")
    assert body["brokerage"] == {"id": "QuantConnectBrokerage"}


def test_a_rollback_runs_the_projects_own_lean_version_as_the_old_deployment_did():
    r, api, _, ctx = roll_back(failed_replace(lean="17000"))
    run(r, api, ctx)
    [(_, _, body)] = api.sent("live/create")
    assert body["versionId"] == "17000"


def test_a_rollback_with_a_changed_secret_says_so():
    spec: dict[str, Any] = {
        "brokerage": {"id": "QuantConnectBrokerage", "pw": "old"},
        "sensitive": [("brokerage", "pw")],
    }
    r = failed_replace(ledger={"refs": ((("brokerage", "pw"), "${env:PW}"),)}, **spec)
    r, api, _, ctx = roll_back(r, environ={"PW": "new"})
    run(r, api, ctx)
    [(_, _, body)] = api.sent("live/create")
    assert body["brokerage"]["pw"] == "new" and r.outcome is Outcome.ROLLED_BACK
    assert r.detail == f"to c-1: new deployment failed: {WHY} (PW has changed since it ran)"


def test_a_stuck_new_deployment_is_stopped_before_the_old_one_comes_back():
    r, api, _, ctx = roll_back(failed_replace(), OLD_RUN, LiveDeployment(1, "L-2", "InQueue"))
    run(r, api, ctx)
    assert [c[0] for c in api.sent()] == ["live/update/stop", "projects/update", "live/create"]
    assert api.sent("live/update/stop") == [("live/update/stop", 1)]
    assert r.outcome is Outcome.ROLLED_BACK and [row["status"] for row in api.rows[1]] == [
        "Stopped",
        "Stopped",
        "Running",
    ]


@pytest.mark.parametrize("now", [LiveDeployment(1, "L-2", "Running"), LiveDeployment(1, "L-other", "Running")])
def test_nothing_is_stopped_or_redeployed_while_something_runs(now):
    """The new deployment is up after all, or another tool's runs: not ours to stop, nor to set parameters for."""
    r, api, _, ctx = roll_back(failed_replace(), now)
    run(r, api, ctx)
    assert api.sent() == [] and r.flat == "" and r.outcome is Outcome.NOT_ATTEMPTED


def test_an_old_deployment_that_never_stopped_gets_its_parameters_back():
    """Its stop went unconfirmed and the create was refused beside it: it still runs, so the project gets back the
    parameters it runs with (a restart by anyone runs what runs now), and nothing is stopped or created."""
    r, api, _, ctx = roll_back(failed_replace(), LiveDeployment(1, "L-1", "Running"))
    run(r, api, ctx)
    assert api.sent() == [("projects/update", 1, OLD)] and api.parameters == OLD and not r.parameters_set
    assert r.flat == "" and r.outcome is Outcome.NOT_ATTEMPTED


def test_a_stuck_deployment_whose_stop_wait_is_abandoned_is_said_and_never_redeployed_over():
    r, api, _, ctx = roll_back(failed_replace(), OLD_RUN, LiveDeployment(1, "L-2", "InQueue"))
    api.stop_leaves = None
    ctx.poller.abandon.set()
    run(r, api, ctx)
    assert [c[0] for c in api.sent()] == ["live/update/stop"] and r.flat == ""
    assert "the rollback failed (stopped waiting for the stop of L-2" in r.detail and "L-2 is InQueue" in r.detail
    assert r.detail in ctx.logged


def test_a_rollback_whose_create_is_refused_says_flat_with_the_reason():
    r, api, _, ctx = roll_back(failed_replace())
    api.refuse["live/create"] = [ApiError("live/create: HTTP 400 node busy")]
    run(r, api, ctx)
    assert r.flat.startswith(f"no deployment is running ({WHY}; the rollback failed too: ")
    assert "node busy" in r.flat and r.outcome is not Outcome.ROLLED_BACK


def test_a_rollback_whose_own_deployment_fails_too_says_flat_and_keeps_it_recorded():
    r, api, ledger, ctx = roll_back(failed_replace())
    api.create_status = "RuntimeError"
    run(r, api, ctx)
    assert r.flat.startswith(f"no deployment is running ({WHY}; the rollback failed too: L-3 ended in RuntimeError")
    assert ledger.entries["m"].deploy_id == "L-3" and r.outcome is not Outcome.ROLLED_BACK


def test_a_rollback_that_cannot_be_rebuilt_says_flat_and_why():
    r = failed_replace(ledger={"compile_id": None})
    r, api, _, ctx = roll_back(r)
    run(r, api, ctx)
    assert r.flat == f"no deployment is running ({WHY}; cannot roll back: the ledger does not say which compile it ran)"
    assert api.sent() == []


@pytest.mark.parametrize(
    ("readable", "said"),
    [
        (1, f"its state cannot be read after: {WHY}; the rollback failed too: unexpected KeyError: 'x'"),
        (10, f"no deployment is running ({WHY}; the rollback failed too: unexpected KeyError: 'x')"),
    ],
)
def test_a_bug_in_the_rollback_still_ends_in_a_flat_line_after_one_more_read(readable, said):
    r, api, _, ctx = roll_back(failed_replace())
    api.refuse["projects/read"] = [KeyError("x")]
    api.readable = readable
    run(r, api, ctx)
    assert r.flat == said and api.sent("live/create") == []


def test_a_failed_stop_of_the_stuck_deployment_names_what_runs_instead_of_flat():
    r, api, _, ctx = roll_back(failed_replace(), OLD_RUN, LiveDeployment(1, "L-2", "InQueue"))
    api.refuse["live/update/stop"] = [ApiError("live/update/stop: HTTP 500")]
    run(r, api, ctx)
    assert r.flat == "" and r.detail == f"{WHY}; the rollback failed (live/update/stop: HTTP 500), and L-2 is InQueue"
    assert r.detail in ctx.logged and api.sent("live/create") == []


def test_a_secret_inside_a_list_is_resolved_again_too():
    d = desired(brokerage={"id": "QuantConnectBrokerage", "keys": ["a", "old"]}, sensitive=[("brokerage", "keys", 1)])
    e = entry(d, refs=((("brokerage", "keys", 1), "${env:KEY}"),))
    body, note = previous_body(e, {"KEY": "old"}, SALT, "")
    assert body is not None and body["brokerage"]["keys"] == ["a", "old"] and note == ""
    body, note = previous_body(e, {"KEY": "new"}, SALT, "")
    assert body is not None and body["brokerage"]["keys"] == ["a", "new"] and note == "KEY has changed since it ran"
    assert is_sensitive(e.spec["brokerage"]["keys"][1])  # the secret in clear never reaches the ledger's entry
    missing, why = previous_body(dataclasses.replace(e, refs=()), {"KEY": "old"}, SALT, "")
    assert missing is None and why == "the ledger does not say where the secret at brokerage.keys[1] came from"


def test_a_stuck_deployment_that_does_not_stop_is_never_created_over_and_is_named():
    """Its stop never shows within the timeout: no create is sent beside it, and the summary names it, not FLAT."""
    r, api, _, ctx = roll_back(failed_replace(), OLD_RUN, LiveDeployment(1, "L-2", "InQueue"))
    api.stop_leaves = None
    run(r, api, ctx)
    assert api.sent() == [("live/update/stop", 1)] and r.flat == ""
    assert r.detail == (
        f"{WHY}; the rollback failed (L-2 was not seen stopped 60s after its stop was sent), and L-2 is InQueue"
    )


def test_the_rollback_waits_for_the_stuck_deployments_stop_to_show_and_no_longer():
    r, api, _, ctx = roll_back(failed_replace(), OLD_RUN, LiveDeployment(1, "L-2", "InQueue"))
    api.stop_shows_after = 2
    run(r, api, ctx)
    assert r.outcome is Outcome.ROLLED_BACK and ctx.poller.now[0] - 1000 < 60


def test_a_first_interrupt_does_not_cut_short_the_wait_for_the_stuck_deployments_stop():
    r, api, _, ctx = roll_back(failed_replace(), OLD_RUN, LiveDeployment(1, "L-2", "InQueue"))
    api.stop_shows_after = 3
    ctx.poller.cancel.set()
    run(r, api, ctx)
    assert r.outcome is Outcome.ROLLED_BACK and api.sent()[0][0] == "live/update/stop"


def test_a_rollback_create_lost_before_it_landed_is_sent_again_never_taking_the_failed_deployment():
    """The project's newest deployment before the create (the failed L-2) is never the rollback's own."""
    r, api, _, ctx = roll_back(failed_replace())
    api.refuse["live/create"] = [AmbiguousWrite("live/create: the connection failed")]
    run(r, api, ctx)
    assert len(api.sent("live/create")) == 2 and (r.outcome, r.deploy_id) == (Outcome.ROLLED_BACK, "L-3")


def test_a_rollback_create_lost_after_it_landed_is_claimed_not_sent_again():
    r, api, ledger, ctx = roll_back(failed_replace())
    api.lose["live/create"] = [AmbiguousWrite("live/create: the connection failed")]
    run(r, api, ctx)
    assert len(api.sent("live/create")) == 1 and (r.outcome, r.deploy_id) == (Outcome.ROLLED_BACK, "L-3")
    assert ledger.entries["m"].deploy_id == "L-3"


def test_a_rollback_goes_on_when_the_read_before_its_create_fails():
    r, api, ledger, ctx = roll_back(failed_replace())
    api.refuse["live/read"] = [None, ApiError("live/read: HTTP 503")]  # the rollback's first read answers
    run(r, api, ctx)
    assert (r.outcome, r.deploy_id) == (Outcome.ROLLED_BACK, "L-3") and ledger.journal["m"].baseline == ""


def test_the_rolled_back_deployment_is_not_held_to_a_health_window():
    """What ran before comes back as it ran: Running is enough (a crash later is the next plan's to see)."""
    r, api, _, ctx = roll_back(failed_replace())
    api.create_later = ["RuntimeError"]
    run(r, api, ctx)
    assert (r.outcome, r.flat) == (Outcome.ROLLED_BACK, "")


def test_every_unset_or_changed_secret_is_named():
    d = desired(
        brokerage={"id": "QuantConnectBrokerage", "a": "1", "b": "2"},
        sensitive=[("brokerage", "a"), ("brokerage", "b")],
    )
    refs = ((("brokerage", "a"), "${env:A}"), (("brokerage", "b"), "${env:B1}${env:B2}"))
    e = entry(d, refs=refs)
    assert previous_body(e, {"A": "1"}, SALT, "")[1] == "B1, B2 is not set"
    _, note = previous_body(e, {"A": "9", "B1": "", "B2": "9"}, SALT, "")
    assert note == "A has changed since it ran; B1, B2 has changed since it ran"


def test_a_rollback_whose_own_deployment_is_still_coming_up_names_it_instead_of_flat():
    """The redeployed old spec is still InQueue at the timeout: one more read finds it active, so the summary names
    it (recorded in the ledger, the next plan sees it) rather than saying nothing runs."""
    r, api, ledger, ctx = roll_back(failed_replace())
    api.create_status = "InQueue"
    run(r, api, ctx)
    assert (
        r.flat == ""
        and r.detail.endswith("and L-3 is InQueue")
        and "the rollback failed (L-3 still InQueue" in r.detail
    )
    assert ledger.entries["m"].deploy_id == "L-3" and api.sent("live/update/stop") == []
