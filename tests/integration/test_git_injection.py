"""A state URL is never a way to run a command: hostile remotes and branches, from every place a state URL comes
from, through every git call the backend makes; the proof is a file that must not appear."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from qcdeploy.errors import QcdeployError
from qcdeploy.ledger.backends import git as git_backend
from qcdeploy.ledger.backends.base import lock_info
from qcdeploy.ledger.backends.git import GitBackend
from tests.helpers import P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def hostile_remotes(marker: Path) -> list[str]:
    return [
        f"--upload-pack=touch {marker};",
        f"--receive-pack=touch {marker};",
        f"--config=core.sshCommand=touch {marker}",
        f"ext::sh -c touch% {marker}",  # a transport that runs its URL: refused even where the user's config allows it
    ]


def hostile_branches(marker: Path) -> list[str]:
    return [f"--upload-pack=touch {marker}", f"x:refs/heads/main --exec=touch {marker}", "-x", "main..x", "a b"]


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """The file a hostile command would create; git runs in a repository whose config allows every transport."""
    monkeypatch.chdir(tmp_path)
    subprocess.run(
        ["git", "init", "--quiet", str(tmp_path)], check=True
    )  # a real repository: git gets as far as it can
    for key, value in {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.ext.allow"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "always")
    return tmp_path / "PWNED"


def hostile_urls(marker: Path) -> list[str]:
    return [f"git:{r}#x" for r in hostile_remotes(marker)] + [f"git:origin#{b}" for b in hostile_branches(marker)]


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("state", "show"), ("apply", "--auto-approve")])
def test_hostile_state_url_from_the_environment_is_refused_before_git(cli, manifests, marker, monkeypatch, command):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    for url in hostile_urls(marker):
        monkeypatch.setenv("QCDEPLOY_STATE", url)
        result = cli(*command, *([str(manifests)] if command[0] != "state" else []))
        assert not marker.exists(), url
        assert result.code == 1, (url, result.text)
        assert "from --state or QCDEPLOY_STATE" in result.err and "Traceback" not in result.text
        assert any(why in result.err for why in ("as an option", "not a valid branch name", "runs a command"))


def test_hostile_state_in_qcdeploy_yaml_is_refused(cli, manifests, marker, monkeypatch):
    monkeypatch.delenv("QCDEPLOY_STATE")
    (marker.parent / ".qcdeploy.yaml").write_text(f"state: 'git:--upload-pack=touch {marker};#x'\n")
    result = cli("validate", str(manifests))
    assert not marker.exists()
    assert result.code == 1 and "from .qcdeploy.yaml" in result.err and "as an option" in result.err


def test_hostile_migrate_target_is_refused(cli, marker):
    for url in hostile_urls(marker):
        result = cli("state", "migrate", "--to", url)
        assert not marker.exists(), url
        assert result.code == 1 and "refused" in result.err, (url, result.text)


def test_hostile_state_in_an_environment_file_fails_validate_with_its_line(cli, manifests, marker, monkeypatch):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    monkeypatch.setenv("QCDEPLOY_STATE", "git:")
    for url in hostile_urls(marker):
        env = f"apiVersion: qcdeploy/v1\nkind: Environment\nmetadata: {{name: paper}}\nspec:\n  state: '{url}'\n"
        path = manifests / "paper.yaml"
        path.write_text(env)
        for command in (("validate",), ("plan", "--env", "paper"), ("state", "show", "--env", "paper")):
            if command[0] == "state":
                monkeypatch.chdir(manifests)
            result = cli(*command, *([str(manifests)] if command[0] != "state" else []))
            monkeypatch.chdir(marker.parent)
            assert not marker.exists(), (url, command)
            assert result.code == 1, (url, command, result.text)
            assert "paper.yaml:5:3: spec.state: " in result.err, result.err


def every_git_call(backend: GitBackend) -> None:
    """read, update, lock, unlock and force-unlock: between them every git command the backend runs."""
    calls = [
        backend.read,
        lambda: backend.update(lambda doc: {"deployments": {}, "salt": "00"}, "m"),
        lambda: backend.lock(lock_info("apply"), 0, print),
        lambda: backend.unlock("x"),
        lambda: backend.force_unlock("x"),
    ]
    for call in calls:
        with pytest.raises(QcdeployError):
            call()


def test_every_git_call_puts_the_remote_after_double_dash(marker, monkeypatch):
    """Behind the check: were a hostile remote to get past it, git still reads it as a repository, never an option."""
    monkeypatch.setattr(git_backend, "git_problem", lambda url: None)
    for remote in hostile_remotes(marker):
        every_git_call(GitBackend(remote, "x", cwd=str(marker.parent)))
        assert not marker.exists(), remote
    origin = marker.parent / "origin.git"  # a real remote, so that git gets as far as the branch
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    for branch in hostile_branches(marker):
        backend = GitBackend(str(origin), branch, cwd=str(marker.parent))
        with contextlib.suppress(QcdeployError):
            backend.read()
        with contextlib.suppress(QcdeployError):
            backend.update(lambda doc: {"deployments": {}, "salt": "00"}, "m")
        assert not marker.exists(), branch


def test_the_backend_refuses_hostile_parts_itself(marker):
    for remote, branch in [(r, "x") for r in hostile_remotes(marker)] + [
        ("origin", b) for b in hostile_branches(marker)
    ]:
        with pytest.raises(QcdeployError, match="refused"):
            GitBackend(remote, branch)
    assert not marker.exists()
