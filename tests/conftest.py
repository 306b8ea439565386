"""Fixtures: a sandbox per test, the CLI run in-process against it with a clean environment."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qcdeploy import redact
from qcdeploy.cli import main
from tests.github_stub import GitHubStub
from tests.helpers import API_TOKEN, ORG, SECRET, USER_ID, Sandbox, start_sandbox


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = start_sandbox()
    yield box
    box.server.shutdown()
    box.server.server_close()


@pytest.fixture(autouse=True)
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause the API client would sleep between attempts, recorded and not waited out: no test spends real
    time in backoff (the suite's waits are the sandbox's boot delays and status polls)."""
    from qcdeploy.quantconnect import transport as client

    pauses: list[float] = []
    monkeypatch.setattr(client, "backoff_sleep", pauses.append)
    return pauses


@pytest.fixture
def github() -> Iterator[GitHubStub]:
    """A stand-in of GitHub's REST API (comments, step summaries, artifacts) for the action's tests."""
    stub = GitHubStub()
    yield stub
    stub.stop()


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    path = tmp_path / "manifests"
    path.mkdir()
    return path


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ledger.json"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, ledger_path: Path) -> None:
    for name in ("QC_USER_ID", "QC_API_TOKEN", "QC_ORGANIZATION_ID", "QC_API_URL", "QCDEPLOY_STATE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QC_API_URL", sandbox.url)
    monkeypatch.setenv("QC_USER_ID", USER_ID)
    monkeypatch.setenv("QC_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("QC_ORGANIZATION_ID", ORG)
    monkeypatch.setenv("QCDEPLOY_STATE", str(ledger_path))
    monkeypatch.setenv(
        "QCDEPLOY_LINEAGE_FILE", str(ledger_path.parent.parent / "lineage-memory.json")
    )  # this test's own
    monkeypatch.setenv("QCDEPLOY_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("QCDEPLOY_HEALTH_WINDOW", "0")  # the health-window tests set their own
    monkeypatch.setenv("IB_PASSWORD", SECRET)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[object]:
    """cli(*args) runs qcdeploy in this process and returns its exit code and output."""
    runs: list[Run] = []

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        result = Run(code, captured.out, captured.err)
        runs.append(result)
        return result

    run.runs = runs  # type: ignore[attr-defined]
    yield run
    redact.clear()
