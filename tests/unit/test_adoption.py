"""adopt's decision, without the API: what it records, refuses and records over a difference under --force."""

from __future__ import annotations

from dataclasses import replace

from qcdeploy.model import LiveState
from qcdeploy.planning.adoption import adopt
from qcdeploy.planning.fingerprint import SENSITIVE_KEY
from tests.builders import N1, SALT, desired, entry, live, state

NOW = "2026-11-26T10:00:00Z"


def test_an_active_deployment_matching_its_manifest_is_recorded_as_it_runs():
    d = desired(parameters={"size": "1"})
    d = replace(d, project=replace(d.project, parameters={"size": "1"}))
    result = adopt([d], state(live(deploy="L-9")), {}, SALT, NOW)
    [e] = result.entries
    assert (e.name, e.deploy_id, e.project_id, e.applied_at, e.salt) == ("m", "L-9", 1, NOW, SALT)
    assert e.compile_id is None  # compile: latest — which compile runs cannot be read back
    assert e.project_modified == d.project.modified
    assert result.refused == () and result.forced == ()


def test_a_pinned_compile_is_recorded_and_secrets_only_as_hashes():
    d = desired(compile="c-7", brokerage={"id": "X", "pw": "s3cret"}, sensitive=[("brokerage", "pw")])
    [e] = adopt([d], state(live()), {}, SALT, NOW).entries
    assert e.compile_id == "c-7"
    assert set(e.spec["brokerage"]["pw"]) == {SENSITIVE_KEY} and "s3cret" not in repr(e)


def test_nothing_active_is_refused_with_the_manifests_place():
    d = desired()
    for st, said in ((state(), "never deployed"), (state(live(status="Stopped")), "Stopped")):
        result = adopt([d], st, {}, SALT, NOW)
        [problem] = result.refused
        assert result.entries == () and said in problem.message and problem.location is not None


def test_a_difference_the_api_reports_is_refused_unless_forced():
    d = desired(parameters={"size": "2"})
    d = replace(d, project=replace(d.project, parameters={"size": "1"}))
    refused = adopt([d], state(live()), {}, SALT, NOW)
    assert refused.entries == () and "parameters.size" in refused.refused[0].message
    forced = adopt([d], state(live()), {}, SALT, NOW, force=True)
    assert len(forced.entries) == 1 and forced.refused == ()
    assert forced.forced == ("m: adopted despite: parameters.size: the project has '1' -> manifest '2' (--force)",)


def test_readopting_the_same_deployment_keeps_what_the_ledger_knew():
    d = desired()
    known = entry(d, deploy="L-1", compile_id="c-3", project_modified="2026-10-01 00:00:00", code_hash="sha256:c")
    [same] = adopt([d], state(live(deploy="L-1")), {"m": known}, SALT, NOW).entries
    assert (same.compile_id, same.project_modified, same.code_hash) == ("c-3", "2026-10-01 00:00:00", "sha256:c")
    [other] = adopt([d], state(live(deploy="L-2")), {"m": known}, SALT, NOW).entries
    assert (other.compile_id, other.project_modified, other.code_hash) == (None, d.project.modified, "")


def test_each_manifest_is_decided_on_its_own():
    a, b = desired("a", pid=1), desired("b", pid=2, node=N1)
    result = adopt([a, b], LiveState({1: live(1)}, {}, ()), {}, SALT, NOW)
    assert [e.name for e in result.entries] == ["a"] and len(result.refused) == 1


def test_an_adopted_entry_keeps_where_each_secret_came_from_for_a_rollback():
    d = desired(brokerage={"id": "X", "pw": "s3cret"}, sensitive=[("brokerage", "pw")])
    [e] = adopt([d], state(live()), {}, SALT, NOW).entries
    assert e.refs == ((("brokerage", "pw"), "${env:PW}"),)
