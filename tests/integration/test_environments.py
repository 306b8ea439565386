"""Environment overlays: one base, paper and live, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import NODE1, NODE2, NODE3, P_MOMENTUM, P_PAIRS, P_SPARE, SECRET

pytestmark = pytest.mark.usefixtures("env")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "environments"


@pytest.fixture
def tree(tmp_path, sandbox):
    sandbox.server.world.projects[P_SPARE].name = "Paper/Momentum"
    target = tmp_path / "deployments"
    shutil.copytree(EXAMPLE, target)
    return target


def test_validate_checks_every_environment(cli, tree):
    result = cli("validate", str(tree))
    assert result.code == 0 and "across environments live, paper" in result.out


def test_plan_needs_an_environment(cli, tree):
    result = cli("plan", str(tree))
    assert result.code == 1 and "define environments live, paper: pass --env NAME" in result.err


def test_paper_and_live_from_one_base(cli, sandbox, tree, ledger_path):
    paper = cli("plan", "--env", "paper", str(tree))
    assert paper.code == 0, paper.err
    assert '"Paper/Momentum"' in paper.out and "brokerage: QuantConnectBrokerage\n" in paper.out
    live = cli("plan", "--env", "live", str(tree))
    assert (
        'brokerage: InteractiveBrokersBrokerage (ib-user-name "trader1", ib-account "U7654321", '
        'ib-password (sensitive), ib-weekly-restart-utc-time "22:00:00")'
    ) in live.out
    assert 'parameters: fast-period "10", slow-period "30", position-size "100"' in live.out
    verbose = cli("-v", "plan", "--env", "live", str(tree)).out
    assert 'parameters.position-size: "100"' in verbose and "brokerage.ib-password: (sensitive)" in verbose

    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    [p] = sandbox.active(P_SPARE)
    [live_dep] = sandbox.active(P_MOMENTUM)
    assert p["nodeId"] == NODE1 and p["settings"]["parameters"]["position-size"] == "10"
    assert live_dep["nodeId"] == NODE2 and live_dep["settings"]["parameters"]["position-size"] == "100"
    # each environment has its own ledger, next to the base one
    ledgers = {f.name for f in ledger_path.parent.iterdir() if f.suffix == ".json"}
    assert ledgers == {"ledger-paper.json", "ledger-live.json"}
    live_ledger = json.loads((ledger_path.parent / "ledger-live.json").read_text())["deployments"]["momentum"]
    assert live_ledger["protect"] is True and live_ledger["onStop"] == "liquidate"
    assert SECRET not in (ledger_path.parent / "ledger-live.json").read_text()
    assert "No changes." in cli("plan", "--env", "paper", str(tree)).out
    assert "No changes." in cli("plan", "--env", "live", str(tree)).out
    status = json.loads(cli("status", "--env", "live", "--format", "json", str(tree)).out)
    assert status["deployments"][0]["managed"] is True


def test_error_in_an_overlay_names_the_overlay(cli, tree):
    live = tree / "live.yaml"
    live.write_text(
        live.read_text().replace('ib-weekly-restart-utc-time: "22:00:00"', 'ib-weekly-restart-utc-time: "10pm"')
    )
    result = cli("validate", str(tree))
    assert result.code == 1
    assert f"{live}:19:9: spec.brokerage.ib-weekly-restart-utc-time: '10pm' does not match" in result.err
    live.write_text(live.read_text().replace("    momentum:\n", "    momentun:\n"))
    typo = cli("validate", "--env", "live", str(tree))
    assert f"{live}:11:5: spec.deployments.momentun: no base deployment named 'momentun' (environment live)" in typo.err


def test_a_key_one_environment_lacks_is_placed_in_its_overlay(cli, tree):
    paper = tree / "paper.yaml"
    paper.write_text(paper.read_text().replace("      node: live-node-1\n", ""))
    result = cli("validate", str(tree))
    assert result.code == 1 and "1 problem(s) found." in result.err
    assert (
        f"{paper}:8:5: spec.deployments.momentum: 'node' is required and environment 'paper' does not set it: add node: "
        f"under spec.deployments.momentum here (or spec.defaults), or in the base at {tree / 'base' / 'momentum.yaml'}:8:1"
    ) in result.err


def test_an_unreadable_base_document_is_one_problem_not_one_per_overlay(cli, tree):
    base = tree / "base" / "momentum.yaml"
    text = base.read_text()
    base.write_text(text.replace("  name: momentum", " name: momentum"))  # one space short
    broken = cli("validate", str(tree))
    assert broken.code == 1 and "1 problem(s) found." in broken.err and "invalid YAML" in broken.err
    base.write_text(text.replace("  name: momentum\n", ""))
    unnamed = cli("validate", str(tree))
    assert unnamed.code == 1 and "1 problem(s) found." in unnamed.err
    assert f"{base}:5:1: metadata: 'name' is a required property" in unnamed.err


def test_an_unquoted_time_is_explained(cli, tree):
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace('"22:00:00"', "22:00:00"))
    result = cli("validate", str(tree))
    assert (
        f"{live}:19:9: spec.brokerage.ib-weekly-restart-utc-time: must be a string; YAML read the unquoted value as "
        "the number 79200 (an unquoted 22:00:00 is read as 79200 seconds, base 60): quote it"
    ) in result.err


def test_an_unset_secret_is_warned_once_by_its_variable(cli, tree, monkeypatch):
    monkeypatch.delenv("IB_PASSWORD")
    monkeypatch.delenv("SIGNAL_TOKEN", raising=False)
    base = tree / "base" / "momentum.yaml"
    base.write_text(base.read_text().replace("position-size: 10}", 'position-size: 10, token: "${env:SIGNAL_TOKEN}"}'))
    result = cli("validate", str(tree))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {tree / 'live.yaml'}:18:9: IB_PASSWORD is not set here; apply needs it for momentum (live)",
        f"warning: {base}:10:69: SIGNAL_TOKEN is not set here; apply needs it for momentum (live), momentum (paper)",
    ]


def test_unknown_environment(cli, tree):
    result = cli("plan", "--env", "prod", str(tree))
    assert result.code == 1 and "no Environment named 'prod' (known: live, paper)" in result.err


def test_saved_plan_remembers_its_environment(cli, sandbox, tree, tmp_path, ledger_path):
    out = tmp_path / "live-plan.json"
    assert cli("plan", "--env", "live", "--out", str(out), str(tree)).code == 0
    wrong = cli("apply", "--env", "paper", str(out))
    assert wrong.code == 1 and "was planned for environment live, not paper" in wrong.err
    result = cli("apply", str(out))  # no --env: the plan knows it, and so which ledger to lock and write
    assert result.code == 0, result.text
    assert len(sandbox.active(P_MOMENTUM)) == 1 and sandbox.active(P_SPARE) == []
    assert (ledger_path.parent / "ledger-live.json").exists() and not ledger_path.exists()


def test_environments_know_each_other(cli, sandbox, tree):
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    paper = cli("plan", "--env", "paper", str(tree))
    assert "Unmanaged deployments" not in paper.out
    assert "Managed by other environments (left alone):" in paper.out and "(environment live)" in paper.out
    assert "No changes. Live deployments match the manifests." in paper.out
    assert cli("drift", "--env", "live", str(tree)).code == 0  # paper's own deployment is not live's drift
    every = cli("drift", str(tree))  # no --env: every environment is checked
    assert every.code == 0, every.text
    sandbox.admin("crash", projectId=P_SPARE)
    crashed = cli("drift", "--format", "json", str(tree))
    assert crashed.code == 2
    [finding] = json.loads(crashed.out)["findings"]
    assert finding["kind"] == "crashed" and finding["environment"] == "paper"


def test_an_unmanaged_deployment_of_no_environment_is_labelled_with_none(cli, sandbox, tree):
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)  # a project no manifest of any environment names
    found = cli("drift", "--env", "paper", "--format", "json", str(tree))
    assert found.code == 2, found.text
    findings = json.loads(found.out)["findings"]
    [finding] = [f for f in findings if f["project_id"] == P_PAIRS]
    assert (finding["kind"], finding["name"], finding["environment"]) == ("unmanaged", None, "")
    assert all(f["environment"] == "paper" for f in findings if f["name"])  # paper's own findings keep theirs
    [line] = [x for x in cli("drift", "--env", "paper", str(tree)).out.splitlines() if f"project {P_PAIRS}" in x]
    assert "[paper]" not in line


def test_an_environments_ledger_needs_no_deployment_secret(cli, sandbox, tree, monkeypatch, ledger_path):
    """`state show`, `state migrate` and `force-unlock` read only the Environment documents to find the ledger: the
    live overlay's broker password need not be set, and a lock names the environment it guards."""
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    monkeypatch.delenv("IB_PASSWORD")
    monkeypatch.chdir(tree)
    monkeypatch.setenv("QCDEPLOY_ENV", "live")
    shown = cli("state", "show", "--format", "json")
    assert shown.code == 0, shown.err
    assert list(json.loads(shown.out)["deployments"]) == ["momentum"]
    nowhere = cli("state", "show", "--env", "nowhere")
    assert nowhere.code == 1 and "no Environment named 'nowhere' (known: live, paper)" in nowhere.err
    assert "Traceback" not in nowhere.text

    from qcdeploy.ledger.backends import open_backend
    from qcdeploy.ledger.backends.base import lock_info

    backend = open_backend(str(ledger_path.parent / "ledger-live.json"))
    info = lock_info("apply", "live")
    backend.lock(info, 0, print)
    monkeypatch.setenv("IB_PASSWORD", SECRET)
    busy = cli("apply", "--auto-approve", "--replace", "momentum", str(tree))
    assert busy.code == 1 and f"qcdeploy force-unlock {info['id']} --env live" in busy.err
    monkeypatch.delenv("IB_PASSWORD")
    monkeypatch.delenv("QCDEPLOY_ENV")
    unlocked = cli("force-unlock", info["id"], "--env", "live")
    assert unlocked.code == 0, unlocked.err
    assert backend.read() is not None and "ledger-live.json" in unlocked.out


def test_retiring_a_strategy_is_one_edit_then_a_cleanup_that_changes_nothing(cli, sandbox, tree):
    for env in ("paper", "live"):
        assert cli("apply", "--env", env, "--auto-approve", str(tree)).code == 0
    base = tree / "base" / "momentum.yaml"
    base.write_text(base.read_text().replace("spec:\n", "spec:\n  state: stopped\n"))  # the one reviewed edit
    live_plan = cli("plan", "--env", "live", str(tree))
    assert "Plan: 0 to create, 0 to replace, 0 to stop, 1 to liquidate." in live_plan.out  # live: onStop liquidate
    assert "protected: apply refuses to stop it without --allow-protected" in live_plan.out
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 1
    assert cli("apply", "--env", "live", "--auto-approve", "--allow-protected", str(tree)).code == 0
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    assert sandbox.active(P_MOMENTUM) == [] and sandbox.active(P_SPARE) == []
    # the cleanup: the base file and its overlay entries go; nothing is running, so nothing changes
    base.unlink()
    for env in ("paper", "live"):
        overlay = tree / f"{env}.yaml"
        overlay.write_text(overlay.read_text().split("  deployments:\n")[0] + "  deployments: {}\n")
        cleaned = cli("plan", "--env", env, "--detailed-exitcode", str(tree))
        assert cleaned.code == 0 and "No changes." in cleaned.out and "Orphaned" not in cleaned.out, cleaned.text


def test_two_environments_on_one_project_or_node_are_refused(cli, tree):
    paper = tree / "paper.yaml"
    paper.write_text(paper.read_text().replace("project: Paper/Momentum", "project: Live/Momentum"))
    live = tree / "live.yaml"
    clash = (
        f"{paper}:9:7: spec.project: project 'Live/Momentum' is also used by 'momentum' in environment live at "
        f"{live}:12:7 (one live deployment per project: environments must not share one)"
    )
    checked = cli("validate", str(tree))
    assert checked.code == 1 and clash in checked.err and "1 problem(s) found." in checked.err, checked.err
    planned = cli("plan", "--env", "paper", str(tree))  # the paper plan alone sees it too: no "No changes"
    assert planned.code == 1 and clash in planned.err
    paper.write_text(paper.read_text().replace("project: Live/Momentum", "project: Paper/Momentum"))
    paper.write_text(paper.read_text().replace("node: live-node-1", "node: live-node-2"))
    node = cli("validate", str(tree))
    assert node.code == 1 and "spec.node: node 'live-node-2' is also used by 'momentum' in environment live" in node.err


def test_one_ledger_commands_ask_for_an_environment_and_state_show_has_the_history(
    cli, sandbox, tree, tmp_path, monkeypatch, ledger_path
):
    monkeypatch.chdir(tmp_path)  # the repository root: deployments/ holds the environments
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    for command in (("state", "show"), ("export", "--out", str(tree))):
        asked = cli(*command)
        assert (
            asked.code == 1
            and "define environments live, paper, each with its own ledger: pass --env NAME" in asked.err
        )
    (tmp_path / ".qcdeploy.yaml").write_text(
        "windows: [{kind: deny, days: [mon, tue, wed, thu, fri, sat, sun], from: '00:00', to: '23:59'}]\n"
    )
    overridden = cli(
        "apply",
        "--env",
        "paper",
        "--auto-approve",
        "--replace",
        "momentum",
        "--ignore-windows",
        "--reason",
        "INC-7",
        str(tree),
    )
    assert overridden.code == 0, overridden.text
    shown = cli("state", "show", "--env", "paper")
    assert shown.code == 0 and "History (1 event(s), newest last):" in shown.out and "reason: INC-7" in shown.out
    assert json.loads(cli("state", "show", "--env", "paper", "--format", "json").out)["history"][0]["reason"] == "INC-7"


def test_migrating_an_environment_moves_it_to_that_environments_place(
    cli, sandbox, tree, tmp_path, monkeypatch, ledger_path
):
    monkeypatch.chdir(tmp_path)
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    base = tmp_path / "moved" / "state.json"
    moved = cli("state", "migrate", "--env", "paper", "--to", str(base))
    assert moved.code == 0, moved.text
    assert (tmp_path / "moved" / "state-paper.json").exists() and not base.exists()
    assert "migrate every environment first (qcdeploy state migrate --env live --to" in moved.out
    monkeypatch.setenv("QCDEPLOY_STATE", str(base))  # following the advice keeps paper's ledger
    assert "No changes." in cli("plan", "--env", "paper", str(tree)).out


def test_export_in_an_environment_repository(cli, sandbox, tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)
    adopt = cli("export", "--env", "paper", "--adopt", "--out", str(tmp_path / "exported"))
    assert adopt.code == 1 and "Nothing was written" in adopt.err and not (tmp_path / "exported").exists()
    exported = cli("export", "--env", "paper", "--out", str(tmp_path / "exported"))
    assert exported.code == 0, exported.text
    assert f"project {P_MOMENTUM}" not in exported.out  # live's deployment is live's, not paper's to export
    assert f"project {P_PAIRS}" in exported.out  # a deployment no environment manages is


def test_every_hint_names_the_environment(cli, sandbox, tree):
    sandbox.admin("deploy", projectId=P_SPARE, nodeId=NODE1)  # paper's project, deployed by hand
    unmanaged = cli("plan", "--env", "paper", str(tree)).out
    assert "`qcdeploy adopt --env paper momentum` if it already matches" in unmanaged, unmanaged
    assert "or `qcdeploy apply --env paper --replace momentum` to redeploy it" in unmanaged
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("spec:\n", "spec:\n  only: []\n", 1))
    orphaned = cli("plan", "--env", "live", str(tree)).out
    assert "(`qcdeploy apply --env live --prune` stops it)" in orphaned, orphaned


def test_the_plan_gives_one_verdict_naming_every_gate_that_refuses(cli, sandbox, tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    every_day = "[mon, tue, wed, thu, fri, sat, sun]"
    (tmp_path / ".qcdeploy.yaml").write_text(
        f"windows: [{{kind: allow, days: {every_day}, from: '00:00', to: '23:59'}}]\n"
    )
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    clean = cli("plan", "--env", "live", str(tree))
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("position-size: 100", "position-size: 200"))
    held = cli("plan", "--env", "live", str(tree))
    assert (
        "Warning: apply would be refused now: it would stop or replace protected deployment(s) momentum "
        "(--allow-protected to allow)"
    ) in held.out, held.out
    assert "Change window: open now" not in held.out and "No changes." in clean.out
    (tmp_path / ".qcdeploy.yaml").write_text(
        f"windows: [{{kind: deny, days: {every_day}, from: '00:00', to: '23:59'}}]\n"
    )
    both = cli("plan", "--env", "live", str(tree))
    [verdict] = [line for line in both.out.splitlines() if "apply would be refused now" in line]
    assert "protected deployment(s) momentum" in verdict and "; changes are not allowed (" in verdict


def test_validate_warnings_are_annotations_on_github(cli, tree, monkeypatch):
    monkeypatch.delenv("IB_PASSWORD")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("validate", str(tree))
    assert result.code == 0
    live = str(tree / "live.yaml").replace(":", "%3A")
    assert (
        f"::warning file={live},line=18,col=9::IB_PASSWORD is not set here; apply needs it for momentum (live)"
    ) in result.out


def test_a_duplicate_key_in_an_environment_is_refused(cli, tree):
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("  defaults:", "  defaults: {protect: false}\n  defaults:", 1))
    result = cli("validate", "--env", "live", str(tree))
    assert result.code == 1 and "1 problem(s) found." in result.err, result.err
    assert f"{live}:8:3: duplicate key 'defaults' (first written at line 7)" in result.err
    assert cli("plan", "--env", "live", str(tree)).code == 1  # live's protect: true cannot be dropped this way


def test_a_mistyped_kind_is_one_problem_with_a_suggestion(cli, tree):
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("kind: Environment", "kind: Enviroment"))
    result = cli("validate", str(tree))
    assert result.code == 1 and "1 problem(s) found." in result.err, result.err
    assert (
        f"{live}:3:1: kind: must be 'LiveDeployment' or 'Environment', not 'Enviroment'; did you mean 'Environment'?"
        in result.err
    )


def test_a_malformed_duration_says_what_a_duration_is(cli, tree):
    live = tree / "live.yaml"
    live.write_text(live.read_text().replace("spec:\n", "spec:\n  promotion: {from: paper, healthyFor: 10 days}\n", 1))
    result = cli("validate", str(tree))
    assert result.code == 1
    assert (
        "spec.promotion.healthyFor: '10 days' is not a duration: write a number and a unit, such as 30s, 15m, 24h or 2d"
        in result.err
    )


def test_validate_checks_every_window_at_its_place(cli, tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    live = tree / "live.yaml"
    bad = '  windows: [{kind: alow, days: [mon], from: "25:00", to: "10:00", timeZone: America/NewYork}]\n'
    live.write_text(live.read_text().replace("spec:\n", "spec:\n" + bad, 1))
    (tmp_path / ".qcdeploy.yaml").write_text("freezes: [{from: 2026-12-24, to: 2026-12-20}]\n")
    result = cli("validate", str(tree))
    assert result.code == 1 and "4 problem(s) found." in result.err, result.err
    for expected in (
        f"{live}:7:14: windows[0]: kind: kind must be allow or deny, not 'alow' (environment live)",
        f"{live}:7:39: windows[0]: from: '25:00' is not a time of day",
        f"{live}:7:67: windows[0]: timeZone: 'America/NewYork' is not an IANA time zone",
        ".qcdeploy.yaml:1:30: freezes[0]: to: to (2026-12-20) is not after from (2026-12-24)",
    ):
        assert expected in result.err, expected
