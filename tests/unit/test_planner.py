"""The planner is pure: desired + observed + ledger -> Plan. No HTTP here."""

from __future__ import annotations

from dataclasses import replace

from qcdeploy.model import Action, LiveState, Node, Reason, Why
from qcdeploy.planning.codehash import content_hash, with_code_hashes
from qcdeploy.planning.planner import PlanOptions, plan
from tests.builders import N2, SALT, T0, T1, desired, entry, live, state


def run(ds, st, entries=(), **options):
    return plan(ds, st, {e.name: e for e in entries}, SALT, PlanOptions(**options))


def test_create_when_nothing_deployed():
    p = run([desired()], state())
    [c] = p.changes
    assert (c.action, c.reasons) == (Action.CREATE, (Reason(Why.NEW, "new deployment"),))


def test_no_change_when_ours_and_equal():
    d = desired()
    p = run([d], state(live()), [entry(d)])
    assert p.changes == () and p.unchanged == ("m",)


def test_replace_names_changed_fields():
    old = desired(parameters={"a": "1"})
    new = desired(parameters={"a": "2"}, node=N2)
    [c] = run([new], state(live()), [entry(old)]).changes
    assert c.action is Action.REPLACE
    assert c.reasons == (Reason(Why.FIELD_CHANGED, "nodeId changed"), Reason(Why.FIELD_CHANGED, "parameters changed"))
    assert [(fc.path, fc.before, fc.after) for fc in c.field_changes] == [
        (("nodeId",), "LN-1", "LN-2"),
        (("parameters", "a"), "1", "2"),
    ]


def test_changed_secret_is_a_change_without_values():
    old = desired(brokerage={"id": "X", "pw": "one"}, sensitive=[("brokerage", "pw")])
    new = desired(brokerage={"id": "X", "pw": "two"}, sensitive=[("brokerage", "pw")])
    [c] = run([new], state(live()), [entry(old)]).changes
    [fc] = c.field_changes
    assert fc.path == ("brokerage", "pw") and fc.sensitive
    assert "one" not in repr(c.field_changes) and "two" not in repr(c.field_changes)


def test_data_provider_order_is_a_change():
    a = {"A": {"id": "A"}, "B": {"id": "B"}}
    b = {"B": {"id": "B"}, "A": {"id": "A"}}
    [c] = run([desired(dataProviders=b)], state(live()), [entry(desired(dataProviders=a))]).changes
    assert c.reasons == (Reason(Why.FIELD_CHANGED, "dataProviders changed"),)


def test_code_change_under_latest_replaces():
    d = desired(modified=T1)
    [c] = run([d], state(live()), [entry(d, modified=T0)]).changes
    assert c.action is Action.REPLACE and c.reasons[0].why is Why.CODE_CHANGED
    assert "project code changed since compile c-1" in str(c.reasons[0])


def test_a_moved_modified_with_the_compiled_files_is_no_code_change():
    """The files' hash (read because `modified` moved) equals the one recorded at the compile: not a code change."""
    d = desired(modified=T1)
    same = replace(d, project=replace(d.project, code_hash="sha256:a"))
    assert run([same], state(live()), [entry(d, modified=T0, code_hash="sha256:a")]).changes == ()
    other = replace(d, project=replace(d.project, code_hash="sha256:b"))
    [c] = run([other], state(live()), [entry(d, modified=T0, code_hash="sha256:a")]).changes
    assert c.reasons[0].why is Why.CODE_CHANGED
    unread = run([d], state(live()), [entry(d, modified=T0, code_hash="sha256:a")]).changes  # files/read failed
    assert unread[0].reasons[0].why is Why.CODE_CHANGED


def test_content_hash_is_of_names_and_contents_in_any_order():
    a, b = {"name": "main.py", "content": "x"}, {"name": "lib.py", "content": "y"}
    assert content_hash([a, b]) == content_hash([b, a])
    assert content_hash([a, b]) != content_hash([a, {**b, "content": "z"}])
    assert content_hash([a]) != content_hash([{**a, "name": "other.py"}])


def test_code_change_under_pinned_compile_is_ignored():
    d = desired(modified=T1, compile="ab-cd")
    assert run([d], state(live()), [entry(d, modified=T0)]).changes == ()


def test_crashed_is_recreated_with_reason():
    d = desired()
    [c] = run([d], state(live(status="RuntimeError", error="boom")), [entry(d)]).changes
    assert c.action is Action.CREATE
    assert c.reasons == (Reason(Why.CRASHED, "last deployment L-1 ended in RuntimeError: boom"),)


def test_stopped_outside_is_recreated():
    d = desired()
    [c] = run([d], state(live(status="Stopped")), [entry(d)]).changes
    assert c.reasons == (Reason(Why.STOPPED_OUTSIDE, "deployment L-1 was stopped outside qcdeploy"),)


def test_a_restart_says_what_differs_from_its_last_run():
    before = desired(parameters={"lookback": "20"})
    now = desired(parameters={"lookback": "30"})
    [c] = run([now], state(live(status="Stopped")), [entry(before)]).changes
    assert c.action is Action.CREATE
    assert [(fc.path, fc.before, fc.after) for fc in c.since_last_run] == [(("parameters", "lookback"), "20", "30")]
    [same] = run([before], state(live(status="Stopped")), [entry(before)]).changes
    assert same.since_last_run == ()
    [moved] = run([desired(pid=2, parameters={"lookback": "30"})], state(), [entry(before)]).changes
    assert moved.since_last_run == ()  # another project: not a restart


def test_unmanaged_active_is_left_alone_with_name():
    p = run([desired()], state(live()))
    assert p.changes == ()
    [u] = p.unmanaged
    assert u.name == "m" and u.deployment.deploy_id == "L-1"


def test_redeployed_outside_is_unmanaged():
    d = desired()
    p = run([d], state(live(deploy="L-other")), [entry(d, deploy="L-1")])
    assert p.changes == () and p.unmanaged[0].name == "m"


def test_replace_option_takes_over_unmanaged():
    [c] = run([desired()], state(live()), replace=frozenset({"m"})).changes
    assert c.action is Action.REPLACE and not c.managed


def test_desired_stopped_stops_or_liquidates():
    d = desired(state="stopped")
    [c] = run([d], state(live()), [entry(d)]).changes
    assert c.action is Action.STOP and c.managed
    d = desired(state="stopped", onStop="liquidate")
    [c] = run([d], state(live())).changes
    assert c.action is Action.LIQUIDATE and not c.managed


def test_desired_stopped_and_inactive_is_unchanged():
    assert run([desired(state="stopped")], state(live(status="Stopped"))).changes == ()


def test_orphan_reported_then_pruned_with_its_recorded_policy():
    gone = desired(name="gone")
    e = entry(gone, on_stop="liquidate", protect=True)
    p = run([], state(live()), [e])
    assert p.changes == () and p.orphaned[0].entry.name == "gone"
    [c] = run([], state(live()), [e], prune=True).changes
    assert c.action is Action.LIQUIDATE and c.protected


def test_targets_limit_changes_and_warn():
    p = run([desired("a", 1), desired("b", 2, N2)], state(), targets=frozenset({"b"}))
    assert [c.name for c in p.changes] == ["b"] and p.warnings


def test_protect_flag_marks_stopping_changes():
    old = desired(parameters={"a": "1"})
    new = desired(parameters={"a": "2"}, protect=True)
    [c] = run([new], state(live()), [entry(old)]).changes
    assert c.protected


def test_metadata_only_change_is_a_ledger_update():
    d = desired(protect=True)
    [c] = run([d], state(live()), [entry(desired())]).changes
    assert c.action is Action.UPDATE


def test_busy_node_blocks_unless_freed_by_the_plan():
    busy = Node("LN-1", "n1", busy=True, project_id=9)
    p = run([desired(node=busy)], state(nodes=(busy,)))
    assert "node n1 is busy" in p.changes[0].blocked
    # the same node, held by this project's own deployment being replaced, is freed first
    old = desired(parameters={"a": "1"})
    busy_self = Node("LN-1", "n1", busy=True, project_id=1)
    new = desired(parameters={"a": "2"}, node=busy_self)
    assert run([new], state(live(), nodes=(busy_self,)), [entry(old)]).changes[0].blocked == ""


def test_order_is_stops_then_replaces_then_creates():
    a = desired("a", 1)
    b = desired("b", 2, N2, state="stopped")
    c_old = desired("c", 3, Node("LN-3", "n3"), parameters={"x": "1"})
    c_new = desired("c", 3, Node("LN-3", "n3"), parameters={"x": "2"})
    p = run([a, b, c_new], state(live(2, "L-2"), live(3, "L-3")), [entry(c_old, deploy="L-3")])
    assert [(c.name, c.action) for c in p.changes] == [("b", Action.STOP), ("c", Action.REPLACE), ("a", Action.CREATE)]


def test_project_moved_replaces_across_projects():
    old = desired(pid=1)
    new = desired(pid=2)
    [c] = run([new], state(live(1, "L-1")), [entry(old)]).changes
    assert c.action is Action.REPLACE and c.observed is not None and c.observed.project_id == 1
    assert c.reasons == (Reason(Why.PROJECT_MOVED, "project changed from 1 to 2"),)


def test_busy_node_freed_when_known_only_by_project_name():
    from qcdeploy.model import Project

    busy = Node("LN-1", "n1", busy=True, project_name="P1")
    d = desired(node=busy)
    st = LiveState({1: live()}, {1: Project(1, "P1", "", None)}, (busy,))
    [c] = run([d], st, replace=frozenset({"m"})).changes
    assert c.action is Action.REPLACE and c.blocked == ""


def test_a_replace_ends_the_old_deployment_per_onreplace_not_onstop():
    """onStop is how the strategy ends; a redeploy keeps the book unless onReplace says liquidate."""
    old = desired(parameters={"a": "1"}, onStop="liquidate")
    [keeps] = run([desired(parameters={"a": "2"}, onStop="liquidate")], state(live()), [entry(old)]).changes
    assert keeps.action is Action.REPLACE and keeps.liquidate is False
    sells = desired(parameters={"a": "2"}, onReplace="liquidate")
    [c] = run([sells], state(live()), [entry(old)]).changes
    assert c.action is Action.REPLACE and c.liquidate is True


def test_a_ledger_written_before_onreplace_plans_no_change():
    d = desired(onStop="liquidate")
    assert run([d], state(live()), [entry(d, on_stop="liquidate")]).changes == ()


def test_a_project_move_stops_only_a_deployment_qcdeploy_made():
    """Whatever someone else runs in the old project is not ours to stop: the move is a plain create."""
    old = desired(pid=1)
    [c] = run([desired(pid=2)], state(live(1, "L-someone-else")), [entry(old, deploy="L-1")]).changes
    assert c.action is Action.CREATE and c.observed is None
    stopped = desired(pid=2, state="stopped")
    assert run([stopped], state(live(1, "L-someone-else")), [entry(old, deploy="L-1")]).changes == ()


class _Files:
    """files/read by project id, counted."""

    def __init__(self) -> None:
        self.read: list[int] = []

    def files(self, pid):
        self.read.append(pid)
        return [{"name": "main.py", "content": f"code {pid}"}]


def test_files_are_read_only_for_projects_whose_modified_moved():
    moved, still = desired("a", pid=1, modified=T1), desired("b", pid=2, modified=T0)
    unhashed = desired("c", pid=3, modified=T1)
    ledger = {
        "a": entry(moved, modified=T0, code_hash="sha256:x"),
        "b": entry(still, modified=T0, code_hash="sha256:x"),
        "c": entry(unhashed, modified=T0),  # written before hashes were recorded: nothing to compare with
    }
    api = _Files()
    out = with_code_hashes(api, [moved, still, unhashed], ledger)  # type: ignore[arg-type]
    assert api.read == [1]
    assert [d.project.code_hash for d in out] == [content_hash([{"name": "main.py", "content": "code 1"}]), "", ""]
