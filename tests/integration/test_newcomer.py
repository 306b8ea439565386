"""A team's first week: one ledger from any subdirectory, settings files that are not manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import NODE1, P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git checkout with its manifests under deployments/, and no QCDEPLOY_STATE: the default ledger."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root / "deployments", "momentum.yaml", manifest("momentum", P_MOMENTUM))
    (root / ".pre-commit-config.yaml").write_text("repos:\n  - repo: local\n    hooks: []\n")
    (root / "deployments" / "ci.yaml").write_text("name: ci\non: [push]\njobs: {}\n")  # not ours: skipped
    (root / "deployments" / "kube.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    monkeypatch.delenv("QCDEPLOY_STATE")
    return root


def test_the_same_ledger_from_the_root_and_from_a_subdirectory(cli, sandbox, repo, monkeypatch):
    monkeypatch.chdir(repo)
    assert cli("validate").code == 0  # hidden settings files and other tools' documents are not manifests
    assert cli("apply", "--auto-approve", "deployments").code == 0
    assert (repo / ".qcdeploy" / "state.json").is_file()
    assert (repo / ".qcdeploy" / ".gitignore").read_text().endswith("*\n")  # a local ledger stays out of git
    monkeypatch.chdir(repo / "deployments")
    shown = cli("state", "show")
    assert "1 deployment(s)" in shown.out and f"at the root of the git work tree {repo}" in shown.out
    assert "No changes." in cli("plan", ".").out
    assert not (repo / "deployments" / ".qcdeploy").exists()


def test_relative_state_in_qcdeploy_yaml_is_rooted_beside_it(cli, sandbox, repo, monkeypatch):
    (repo / ".qcdeploy.yaml").write_text("state: ledgers/fleet.json\n")
    monkeypatch.chdir(repo / "deployments")
    assert cli("apply", "--auto-approve", ".").code == 0
    assert (repo / "ledgers" / "fleet.json").is_file()
    monkeypatch.chdir(repo)
    verbose = cli("-v", "state", "show")
    assert f"{repo / 'ledgers' / 'fleet.json'}" in verbose.out and "from .qcdeploy.yaml beside" in verbose.out
    assert cli("validate").code == 0  # .qcdeploy.yaml itself is not read as a manifest


def test_adopt_compares_what_the_api_can_tell(cli, sandbox, manifests, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # not this repository, whose examples define environments
    monkeypatch.setenv("QCDEPLOY_STATE", str(tmp_path / "ledger.json"))
    sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1, settings={"parameters": {"fast-period": "12"}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast-period": 99}))
    refused = cli("adopt", str(manifests), "momentum")
    assert refused.code == 1 and "parameters.fast-period: the project has '12' -> manifest '99'" in refused.err
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, node="live-node-2", parameters={"fast-period": 12}))
    moved = cli("adopt", str(manifests), "momentum")
    assert moved.code == 1 and "node: it runs on live-node-1, the manifest says live-node-2" in moved.err
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast-period": 12}))
    assert cli("adopt", str(manifests), "momentum").code == 0
    assert "No changes." in cli("plan", str(manifests)).out
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast-period": 13}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0  # now qcdeploy knows the compile it runs
    before = [line for line in cli("state", "show").out.splitlines() if "momentum:" in line]
    assert "compile unknown" not in before[0]
    assert cli("adopt", str(manifests), "momentum").code == 0  # re-adopting keeps the compile the ledger knew
    after = [line for line in cli("state", "show").out.splitlines() if "momentum:" in line]
    assert after[0].split(", applied")[0] == before[0].split(", applied")[0]
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast-period": 99}))
    forced = cli("adopt", "--force", str(manifests), "momentum")
    assert forced.code == 0 and "adopted despite: parameters.fast-period" in forced.err


def test_read_only_commands_need_no_broker_secrets(cli, sandbox, manifests, monkeypatch, tmp_path):
    from tests.helpers import P_MEANREV, SECRET, ib_brokerage

    monkeypatch.setenv("QCDEPLOY_STATE", str(tmp_path / "ledger.json"))
    write(manifests, "a.yaml", manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage()))
    write(manifests, "b.yaml", manifest("momentum", P_MOMENTUM, parameters={"v": 1}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    monkeypatch.delenv("IB_PASSWORD")
    checked = cli("validate", str(manifests))
    assert checked.code == 0 and "IB_PASSWORD is not set here; apply needs it for meanrev" in checked.err
    plan = cli("plan", str(manifests))
    assert plan.code == 0 and "No changes." in plan.out
    assert "meanrev: spec.brokerage.ib-password (sensitive, not set here: cannot tell whether it changed)" in plan.out
    assert cli("status", str(manifests)).code == 0
    assert cli("drift", str(manifests)).code == 0
    # the pull-request flow: planned without the secret, applied with it
    write(manifests, "b.yaml", manifest("momentum", P_MOMENTUM, parameters={"v": 2}))
    saved = tmp_path / "plan.json"
    assert cli("plan", "--out", str(saved), str(manifests)).code == 0
    refused = cli("apply", "--auto-approve", str(manifests))
    assert refused.code == 1 and "environment variable IB_PASSWORD is not set" in refused.err
    assert sandbox.active(P_MOMENTUM)[0]["settings"]["parameters"] == {"v": "1"}  # refused before any step
    monkeypatch.setenv("IB_PASSWORD", "")
    empty = cli("apply", "--auto-approve", str(manifests))
    assert empty.code == 1 and "environment variable IB_PASSWORD is set but empty" in empty.err
    monkeypatch.setenv("IB_PASSWORD", SECRET)
    applied = cli("apply", str(saved))
    assert applied.code == 0, applied.text
    assert sandbox.active(P_MOMENTUM)[0]["settings"]["parameters"] == {"v": "2"}


def test_sandbox_banner_prints_what_to_paste(tmp_path):
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "qcdeploy", "sandbox", "--port", "0", "--data-dir", str(tmp_path / "box")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(10)
    text = "".join(lines)
    assert "export QC_API_URL=http://127.0.0.1:" in text and "QC_USER_ID=100001" in text
    assert "QC_API_TOKEN=sandbox-api-token-0123456789abcdef" in text and "export QC_ORGANIZATION_ID=" in text


def test_an_unset_secret_parameter_is_no_change_by_itself(cli, sandbox, manifests, monkeypatch, tmp_path):
    monkeypatch.setenv("QCDEPLOY_STATE", str(tmp_path / "ledger.json"))
    monkeypatch.setenv("SIGNAL_TOKEN", "signal-token-0123456789")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"token": "${env:SIGNAL_TOKEN}", "v": 1}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    monkeypatch.delenv("SIGNAL_TOKEN")  # the pull-request job: no secrets
    plan = cli("plan", "--detailed-exitcode", str(manifests))
    assert plan.code == 0 and "No changes." in plan.out, plan.text
    assert "parameters.token (sensitive, not set here: cannot tell whether it changed)" in plan.out
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"token": "${env:SIGNAL_TOKEN}", "v": 2}))
    changed = cli("plan", "--detailed-exitcode", str(manifests))
    assert (
        changed.code == 2 and '~ parameters.v: "1" -> "2"' in changed.out and "token" not in changed.out.split("~")[1]
    )


def test_init_writes_a_repository_that_validates_as_written(cli, sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = cli("init", "--name", "momentum")
    assert made.code == 0, made.text
    for path in (".qcdeploy.yaml", "deployments/base/momentum.yaml", "deployments/paper.yaml", "deployments/live.yaml"):
        assert (tmp_path / path).is_file(), path
    assert (tmp_path / "schemas" / "qcdeploy-v1.schema.json").is_file()
    examples = Path(__file__).resolve().parents[2] / "examples" / "github-workflows"
    for name in ("qcdeploy-plan.yml", "qcdeploy-apply.yml", "qcdeploy-drift.yml"):  # the examples, as they are
        assert (tmp_path / ".github" / "workflows" / name).read_text() == (examples / name).read_text(), name
    checked = cli("validate")
    assert checked.code == 0 and "2 manifest(s) in 3 file(s) are valid across environments live, paper." in checked.out
    # the settings file is read as written: the plan gets as far as the account, which has no such project
    planned = cli("plan", "--env", "paper")
    assert planned.code == 1 and "no project named 'Paper/momentum' in this account" in planned.err, planned.text
    again = cli("init", "--name", "momentum")
    assert again.code == 1 and "pass --force to replace them. Nothing was written" in again.err
    assert cli("init", "--name", "Bad Name").code == 1
