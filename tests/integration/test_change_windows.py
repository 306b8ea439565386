"""Change windows in .qcdeploy.yaml and per environment: apply refuses outside them before any step
and names the next allowed time; plan says whether the change could be applied now; --ignore-windows --reason
overrides and the reason is recorded in the ledger's history."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def freeze_around_today() -> tuple[str, str]:
    today = datetime.now(timezone.utc).date()
    start, end = today - timedelta(days=1), today + timedelta(days=1)
    return f"freezes:\n  - {{from: {start}, to: {end}, reason: quarter end}}\n", str(end + timedelta(days=1))


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root / "deployments", "momentum.yaml", manifest("momentum", P_MOMENTUM))
    monkeypatch.chdir(root)
    return root


def test_apply_inside_a_freeze_refuses_before_any_step_and_names_the_next_allowed_time(cli, sandbox, repo):
    text, reopens = freeze_around_today()
    (repo / ".qcdeploy.yaml").write_text(text)
    plan = cli("plan", "deployments")
    assert plan.code == 0 and "apply would be refused now: changes are not allowed (inside freeze" in plan.out
    assert "(quarter end)" in plan.out and f"next allowed: {reopens} 00:00 UTC" in plan.out
    doc = json.loads(cli("plan", "--format", "json", "deployments").out)
    assert any("apply would be refused now" in w for w in doc["warnings"])
    writes_before = {k: v for k, v in sandbox.calls().items() if k in ("compile/create", "live/create")}
    refused = cli("apply", "--auto-approve", "deployments")
    assert refused.code == 1 and f"next allowed: {reopens} 00:00 UTC" in refused.err
    assert "Nothing was changed" in refused.err and sandbox.active(P_MOMENTUM) == []
    assert {k: v for k, v in sandbox.calls().items() if k in ("compile/create", "live/create")} == writes_before


def test_ignore_windows_needs_a_reason_which_the_ledger_records(cli, sandbox, repo, ledger_path):
    (repo / ".qcdeploy.yaml").write_text(freeze_around_today()[0])
    bare = cli("apply", "--auto-approve", "--ignore-windows", "deployments")
    assert bare.code == 1 and "--ignore-windows needs --reason" in bare.err
    done = cli("apply", "--auto-approve", "--ignore-windows", "--reason", "hotfix for a bad fill", "deployments")
    assert done.code == 0 and len(sandbox.active(P_MOMENTUM)) == 1
    [event] = json.loads(ledger_path.read_text())["history"]
    assert event["event"] == "change window overridden" and event["reason"] == "hotfix for a bad fill"
    assert "inside freeze" in event["closed"]


def test_an_open_window_is_said_so_and_applies(cli, sandbox, repo):
    (repo / ".qcdeploy.yaml").write_text("windows:\n  - {kind: allow, from: '00:00', to: '00:00'}\n")  # always open
    assert "Change window: open now; apply is allowed." in cli("plan", "deployments").out
    assert cli("apply", "--auto-approve", "deployments").code == 0


def test_an_environment_adds_its_own_freeze(cli, sandbox, repo):
    text = freeze_around_today()[0].replace("freezes:\n", "").replace("  - ", "    - ")
    (repo / "environments").mkdir()
    (repo / "environments" / "live.yaml").write_text(
        "apiVersion: qcdeploy/v1\nkind: Environment\nmetadata: {name: live}\nspec:\n  freezes:\n" + text
    )
    assert cli("plan", "--env", "live", ".").out.count("apply would be refused now") == 1
    refused = cli("apply", "--env", "live", "--auto-approve", ".")
    assert refused.code == 1 and "inside freeze" in refused.err and sandbox.active(P_MOMENTUM) == []
    assert "refused" not in cli("plan", "deployments").out  # the base environment has no freeze


def test_a_bad_window_names_the_file(cli, repo):
    (repo / ".qcdeploy.yaml").write_text(
        "windows:\n  - {kind: deny, from: '9:30', to: '16:00', timeZone: Nowhere/City}\n"
    )
    result = cli("apply", "--auto-approve", "deployments")
    assert (
        result.code == 1
        and ".qcdeploy.yaml:2:45: windows[0]: timeZone: 'Nowhere/City' is not an IANA time zone" in result.err
    )
    assert "Traceback" not in result.err


def test_the_repository_settings_are_parsed_once_and_again_only_when_edited(cli, sandbox, repo, monkeypatch):
    from qcdeploy.manifests import repofile

    parsed: list[str] = []
    real = repofile._read_settings

    def counted(path):
        parsed.append(str(path))
        return real(path)

    monkeypatch.setattr(repofile, "_read_settings", counted)
    monkeypatch.delenv("QCDEPLOY_STATE")  # the ledger's place comes from .qcdeploy.yaml too
    settings = repo / ".qcdeploy.yaml"
    settings.write_text("state: ledger.json\nwindows:\n  - {kind: allow, from: '00:00', to: '00:00'}\n")
    assert "Change window: open now" in cli("plan", "deployments").out
    assert parsed == [str(settings)]  # the ledger's location and the windows: one parse
    settings.write_text(f"state: ledger.json\n{freeze_around_today()[0]}# edited\n")
    assert "apply would be refused now" in cli("plan", "deployments").out
    assert parsed == [str(settings)] * 2


def test_a_freeze_written_as_yaml_timestamps_is_accepted(cli, sandbox, repo):
    """`from: 2026-12-07 10:00:00` unquoted is a YAML timestamp: plan and apply crashed with exit 3."""
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    (repo / ".qcdeploy.yaml").write_text(f"freezes:\n  - {{from: {start}, to: {end}, reason: release}}\n")
    plan = cli("plan", "deployments")
    assert plan.code == 0 and "apply would be refused now" in plan.out and "(release)" in plan.out, plan.text
    assert f"next allowed: {end:%Y-%m-%d %H:%M} UTC" in plan.out
    refused = cli("apply", "--auto-approve", "deployments")
    assert refused.code == 1 and "inside freeze" in refused.err and sandbox.active(P_MOMENTUM) == []


@pytest.mark.parametrize("in_env", [False, True])
def test_a_window_written_as_a_yaml_timestamp_is_refused_at_its_place(cli, repo, in_env):
    entry = "{kind: deny, from: 2026-12-07 10:00:00, to: '12:00'}"
    if in_env:
        (repo / "environments").mkdir()
        (repo / "environments" / "live.yaml").write_text(
            "apiVersion: qcdeploy/v1\nkind: Environment\nmetadata: {name: live}\nspec:\n  windows:\n    - " + entry
        )
        result, where = cli("plan", "--env", "live", "."), "live.yaml:6:20 (environment live): windows[0]: from"
    else:
        (repo / ".qcdeploy.yaml").write_text("windows:\n  - " + entry + "\n")
        result, where = cli("plan", "deployments"), ".qcdeploy.yaml:2:18: windows[0]: from"
    assert result.code == 1 and where in result.err and "is a date" in result.err, result.text
    assert "Traceback" not in result.text


def test_an_environments_freeze_written_as_timestamps_plans_saves_and_refuses(cli, sandbox, repo, tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    (repo / "environments").mkdir()
    (repo / "environments" / "live.yaml").write_text(
        "apiVersion: qcdeploy/v1\nkind: Environment\nmetadata: {name: live}\nspec:\n  freezes:\n"
        f"    - {{from: {now - timedelta(hours=1)}, to: {now + timedelta(hours=1)}Z, reason: release}}\n"
    )
    saved = tmp_path / "plan.json"
    plan = cli("plan", "--env", "live", "--out", str(saved), ".")
    assert plan.code == 0 and "apply would be refused now" in plan.out and "(release)" in plan.out, plan.text
    assert cli("validate", ".").code == 0
    refused = cli("apply", "--auto-approve", str(saved))
    assert refused.code == 1 and "inside freeze" in refused.err and sandbox.active(P_MOMENTUM) == []
