"""watch's pure parts: heal policies, the per-deployment decision, events, delivery with retries, signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from qcdeploy.errors import ConfigError
from qcdeploy.notify.base import Event, NotifyFailed
from qcdeploy.notify.deliver import deliver
from qcdeploy.notify.webhook import signature
from qcdeploy.planning.heal import HealPolicy, policy_from
from qcdeploy.planning.planner import PlanOptions, plan
from qcdeploy.planning.watch import Act, events, survey
from tests.builders import SALT, T1, desired, entry, live, state

NOW = T1


def decide(dep, ledger_deploy="L-1", history=(), sync=False, **heal):
    d = desired("m", heal=heal) if heal else desired("m")
    led = {"m": entry(d, deploy=ledger_deploy, applied_at="2026-11-01T00:00:00Z")}
    p = plan([d], state(dep), led, SALT, PlanOptions())
    policy = policy_from([("m.yaml", heal)]) if heal else HealPolicy()
    return survey(p, led, {"m": policy}, list(history), NOW, sync)


def healed(minutes_ago, deploy="L-2", event="healed"):
    at = (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"at": at, "event": event, "name": "m", "deployId": deploy}


def test_policy_layers_merge_key_by_key_and_default_to_report():
    assert HealPolicy().crashed == "report" and not HealPolicy().heals_anything
    p = policy_from([(".qcdeploy.yaml", {"crashed": "redeploy", "per": "1h"}), ("m.yaml:3:3", {"maxRestarts": 5})])
    assert (p.crashed, p.stopped_outside, p.max_restarts, p.per, p.backoff) == ("redeploy", "report", 5, 3600, 120)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"crashed": "restart"}, "x.yaml: heal.crashed must be report or redeploy"),
        ({"maxRestarts": -1}, "heal.maxRestarts must be a whole number"),
        ({"maxRestarts": True}, "heal.maxRestarts must be a whole number"),
        ({"per": "soon"}, "x.yaml: heal.per: 'soon' is not a duration"),
        ({"retries": 2}, "unknown heal setting(s) retries"),
        ("redeploy", "heal must be a mapping"),
    ],
)
def test_bad_policies_are_refused_with_their_place(raw, message):
    with pytest.raises(ConfigError, match=None) as caught:
        policy_from([("x.yaml", raw)])
    assert message in str(caught.value)


def test_a_crash_is_reported_by_default_and_healed_when_asked():
    crashed = live(deploy="L-1", status="RuntimeError", error="boom")
    [report] = decide(crashed).decisions
    assert (report.finding.kind, report.act) == ("crashed", Act.REPORT)
    [heal] = decide(crashed, crashed="redeploy").decisions
    assert heal.act is Act.HEAL and heal.change is not None and heal.change.name == "m"


def test_someone_elses_crashed_deployment_is_not_healed():
    [d] = decide(live(deploy="L-9", status="RuntimeError"), ledger_deploy="L-1", crashed="redeploy").decisions
    assert d.act is Act.REPORT and "not the deployment qcdeploy recorded" in d.detail


def test_a_stop_outside_is_undone_only_when_asked():
    stopped = live(deploy="L-1", status="Stopped")
    assert decide(stopped, crashed="redeploy").decisions[0].act is Act.REPORT
    assert decide(stopped, stoppedOutside="redeploy").decisions[0].act is Act.HEAL


def test_backoff_then_give_up_after_max_restarts_within_per():
    crashed = live(deploy="L-2", status="RuntimeError")
    policy = {"crashed": "redeploy", "maxRestarts": 2, "per": "1h", "backoff": "5m"}
    assert decide(crashed, "L-2", [healed(2)], **policy).decisions[0].act is Act.BACKOFF
    assert decide(crashed, "L-2", [healed(10)], **policy).decisions[0].act is Act.HEAL
    gave_up = decide(crashed, "L-2", [healed(50, "L-1"), healed(10, event="heal-failed")], **policy).decisions[0]
    assert gave_up.act is Act.GAVE_UP and "2 heal(s) within 1h" in gave_up.detail
    # heals older than `per` no longer count
    assert decide(crashed, "L-2", [healed(90, "L-1"), healed(10)], **policy).decisions[0].act is Act.HEAL


def test_a_person_applying_after_giving_up_starts_the_count_afresh():
    crashed = live(deploy="L-7", status="RuntimeError")  # L-7: applied by a person, after the heals
    history = [healed(30, "L-1"), healed(20, "L-2")]
    policy = {"crashed": "redeploy", "maxRestarts": 2, "backoff": "0s"}
    d = desired("m", heal=policy)
    led = {"m": entry(d, deploy="L-7", applied_at=(NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))}
    p = plan([d], state(crashed), led, SALT, PlanOptions())
    found = survey(p, led, {"m": policy_from([("m", policy)])}, history, NOW)
    assert found.decisions[0].act is Act.HEAL


def test_manifest_changes_are_synced_only_with_sync():
    d = desired("m", parameters={"x": "2"})
    led = {"m": entry(desired("m"), deploy="L-1")}
    p = plan([d], state(live()), led, SALT, PlanOptions())
    assert [x.act for x in survey(p, led, {}, [], NOW).decisions] == [Act.REPORT]
    assert [x.act for x in survey(p, led, {}, [], NOW, sync=True).decisions] == [Act.SYNC]


def test_events_name_what_happened_and_give_up_once():
    crashed = live(deploy="L-2", status="RuntimeError", error="boom")
    found = decide(crashed, "L-2", [healed(10), healed(5)], crashed="redeploy", maxRestarts=2, backoff="0s")
    out = events(found, "live", "2026-11-02T00:00:00Z")
    assert [(e.event, e.deployment, e.deploy_id) for e in out] == [("crashed", "m", "L-2"), ("gave-up", "m", "L-2")]
    assert out[0].payload()["environment"] == "live" and out[0].payload()["reason"] == "RuntimeError: boom"


class Flaky:
    events = frozenset({"crashed"})
    ident = "flaky:1"

    def __init__(self, failures):
        self.failures, self.got = failures, []

    def describe(self):
        return "flaky"

    def send(self, event):
        if self.failures:
            self.failures -= 1
            raise NotifyFailed("HTTP 503")
        self.got.append(event)


EVENT = Event("crashed", "", "m", 1, "L-1", "boom", "2026-11-02T00:00:00Z")


def test_delivery_retries_with_backoff_and_reports_a_target_that_stays_down():
    pauses: list[float] = []
    target = Flaky(2)
    done = deliver([EVENT], [target], set(), pauses.append)
    assert target.got == [EVENT] and pauses == [1.0, 2.0] and done.sent == [f"flaky:1|{EVENT.key}"]
    down = Flaky(9)
    failed = deliver([EVENT], [down], set(), pauses.append)
    assert failed.sent == [] and failed.failed == ["flaky: crashed m: HTTP 503"]


def test_delivery_skips_what_was_sent_and_what_the_target_does_not_want():
    target = Flaky(0)
    assert deliver([EVENT], [target], {f"flaky:1|{EVENT.key}"}, lambda _: None).sent == []
    healed_event = Event("healed", "", "m", 1, "L-2", "", "t")
    assert deliver([healed_event], [target], set(), lambda _: None).sent == [] and target.got == []


def test_signature_is_hmac_sha256_of_the_exact_body():
    body = json.dumps(EVENT.payload(), sort_keys=True).encode()
    assert signature("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


def test_sync_never_undoes_a_stop_outside_nor_restarts_a_crash_that_heal_only_reports():
    for status in ("Stopped", "Liquidated", "RuntimeError"):
        [d] = decide(live(deploy="L-1", status=status), sync=True).decisions
        assert d.finding.kind in ("stopped-outside", "crashed") and d.act is Act.REPORT, status


def test_a_heal_restarts_what_ran_and_never_carries_a_change_past_review():
    crashed = live(deploy="L-1", status="RuntimeError")
    policy = {"crashed": "redeploy"}
    d = desired("m", heal=policy, parameters={"x": "2"})
    led = {"m": entry(desired("m", heal=policy), deploy="L-1")}
    p = plan([d], state(crashed), led, SALT, PlanOptions())
    [held] = survey(p, led, {"m": policy_from([("m", policy)])}, [], NOW).decisions
    assert held.act is Act.REPORT and "the manifest changed since its last run (parameters)" in held.detail
    assert survey(p, led, {"m": policy_from([("m", policy)])}, [], NOW, sync=True).decisions[0].act is Act.HEAL
    touched = desired("m", heal=policy, modified=T1)  # the project's code is newer than the compile recorded
    led = {"m": entry(desired("m", heal=policy), deploy="L-1")}
    p = plan([touched], state(crashed), led, SALT, PlanOptions())
    [held] = survey(p, led, {"m": policy_from([("m", policy)])}, [], NOW).decisions
    assert held.act is Act.REPORT and "code changed since compile c-1" in held.detail


def test_apply_results_become_events_and_a_flat_strategy_its_own():
    from qcdeploy.apply.events import from_results
    from qcdeploy.apply.outcome import Outcome, Result
    from qcdeploy.model import Action
    from tests.builders import change

    done = Result(change(Action.CREATE, "a"), Outcome.DONE, deploy_id="L-9")
    rolled = Result(change(Action.REPLACE, "b"), Outcome.ROLLED_BACK, detail="to c-1: new deployment failed")
    flat = Result(change(Action.REPLACE, "c"), Outcome.FAILED, detail="boom", flat="the rollback failed too")
    skipped = Result(change(Action.CREATE, "d"))
    out = from_results([done, rolled, flat, skipped], "live", "t")
    assert [(e.event, e.deployment) for e in out] == [
        ("applied", "a"),
        ("rolled-back", "b"),
        ("apply-failed", "c"),
        ("flat", "c"),
    ]
    assert out[0].deploy_id == "L-9" and out[3].reason == "the rollback failed too"
    healed = from_results([done, flat], "live", "t", done="healed")
    assert [e.event for e in healed] == ["healed", "heal-failed", "flat"]
