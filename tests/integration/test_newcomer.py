"""A team's first week (issue 11): one ledger from any subdirectory, settings files that are not manifests."""

from __future__ import annotations

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

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
