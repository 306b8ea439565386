"""Every file qcdeploy reads (manifests, .qcdeploy.yaml, the ledger, saved plans, sandbox seeds) is a regular file
of bounded size with sane numbers: a link to a device, a FIFO, a socket or a directory is refused by name before
reading; a huge number, a mapping as a key or 50,000 levels of nesting is a file:line:col error. Each case runs
the real CLI as its own process under a 100 MB address-space limit and a timeout, and exits 1 without a
traceback (before this, /dev/zero was read until the kernel killed the process and a FIFO hung forever)."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

LIMIT = 100 * 1024 * 1024
HUGE = "9" * 5001  # past Python's int-string limit (4,300 digits)
MANIFEST = (
    "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: m}\n"
    "spec:\n  project: 1\n  node: n\n  brokerage: {id: QuantConnectBrokerage}\n"
)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    environ = {k: v for k, v in os.environ.items() if k != "QCDEPLOY_STATE"}
    return subprocess.run(
        [sys.executable, "-m", "qcdeploy", *args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,  # a hang (a FIFO read) fails here, not forever
        preexec_fn=limit,
    )


def fifo(path: Path) -> None:
    os.mkfifo(path)


def zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def urandom(path: Path) -> None:
    path.symlink_to("/dev/urandom")


def directory(path: Path) -> None:
    path.mkdir()


def sock(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))  # left bound: the file stays a socket for the run


KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (fifo, "not a regular file (a FIFO)"),
    "dev-zero": (zero, "not a regular file (a character device)"),
    "dev-urandom": (urandom, "not a regular file (a character device)"),
    "directory": (directory, "not a regular file (a directory)"),
    "socket": (sock, "not a regular file (a socket)"),
}


def assert_refused(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Internal error" not in done.stderr, done.stderr


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "directory"])  # a directory given is walked
def test_a_manifest_that_is_not_a_regular_file(tmp_path, kind):
    make, expected = KINDS[kind]
    (tmp_path / "ok.yaml").write_text(MANIFEST)
    make(tmp_path / "m.yaml")
    assert_refused(run(["validate", "."], tmp_path), f"m.yaml: {expected}")
    assert_refused(run(["validate", "m.yaml"], tmp_path), f"m.yaml: {expected}")


@pytest.mark.parametrize("kind", KINDS)
def test_a_settings_file_that_is_not_a_regular_file(tmp_path, kind):
    make, expected = KINDS[kind]
    (tmp_path / ".git").mkdir()
    make(tmp_path / ".qcdeploy.yaml")
    assert_refused(run(["state", "show"], tmp_path), f".qcdeploy.yaml: {expected}")


@pytest.mark.parametrize("kind", KINDS)
def test_a_ledger_that_is_not_a_regular_file(tmp_path, kind):
    make, expected = KINDS[kind]
    make(tmp_path / "state.json")
    assert_refused(run(["state", "show"], tmp_path, {"QCDEPLOY_STATE": str(tmp_path / "state.json")}), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_a_saved_plan_that_is_not_a_regular_file(tmp_path, kind):
    make, expected = KINDS[kind] if kind != "directory" else (directory, "is a directory")  # said by click
    make(tmp_path / "plan.json")
    env = {"QC_USER_ID": "1", "QC_API_TOKEN": "t", "QC_API_URL": "http://127.0.0.1:9/api/v2/"}
    assert_refused(run(["apply", "--plan", "plan.json"], tmp_path, env), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_a_sandbox_seed_that_is_not_a_regular_file(tmp_path, kind):
    make, expected = KINDS[kind] if kind != "directory" else (directory, "is a directory")  # said by click
    make(tmp_path / "seed.yaml")
    assert_refused(run(["sandbox", "--port", "0", "--seed", "seed.yaml"], tmp_path), expected)


SETTINGS = {
    "nested-50000": ("state: " + "[" * 50_000 + "]" * 50_000 + "\n", ".qcdeploy.yaml:1:"),
    "huge-integer": (f"state: {HUGE}\n", ".qcdeploy.yaml:1:8: state: an integer of 5001 digits"),
    "mapping-as-key": ("? {a: 1}\n: x\n", ".qcdeploy.yaml:1:3: mapping keys must be plain strings"),
    "non-finite": ("windows: [{from: .inf}]\n", ".qcdeploy.yaml:1:18: windows[0].from: inf is not a finite number"),
}


@pytest.mark.parametrize("case", SETTINGS)
def test_a_hostile_settings_file_goes_through_the_bounded_loader(tmp_path, case):
    text, expected = SETTINGS[case]
    (tmp_path / ".git").mkdir()
    (tmp_path / ".qcdeploy.yaml").write_text(text)
    assert_refused(run(["state", "show"], tmp_path), expected)


MANIFESTS = {
    "huge-project-id": (MANIFEST.replace("project: 1", f"project: {HUGE}"), "m.yaml:5:12: spec.project: an integer"),
    "huge-parameter": (MANIFEST + f"  parameters: {{x: {HUGE}}}\n", "m.yaml:8:19: spec.parameters.x: an integer"),
    "huge-float": (MANIFEST + "  parameters: {x: 1.0e+300}\n", "spec.parameters.x: 1e+300 is too large a number"),
    "mapping-as-key": (MANIFEST + "  parameters: {? {a: 1} : 2}\n", "m.yaml:8:18: mapping keys must be plain strings"),
    "list-as-key": (MANIFEST + "  parameters: {? [a] : 2}\n", "m.yaml:8:18: mapping keys must be plain strings"),
}


@pytest.mark.parametrize("case", MANIFESTS)
def test_numbers_and_keys_past_sane_in_a_manifest(tmp_path, case):
    text, expected = MANIFESTS[case]
    (tmp_path / "m.yaml").write_text(text)
    assert_refused(run(["validate", "m.yaml"], tmp_path), expected)


LEDGERS = {
    "serial-1e999": ('{"version": 1, "serial": 1e999, "salt": "00ff", "deployments": {}}', "state.json:1:26: 1e999"),
    "serial-nan": ('{"version": 1,\n "serial": NaN, "salt": "00ff", "deployments": {}}', "state.json:2:12: NaN"),
    "serial-huge": (
        f'{{"version": 1, "serial": {HUGE}, "salt": "00ff", "deployments": {{}}}}',
        "state.json:1:26: 9999",
    ),
}


@pytest.mark.parametrize("case", LEDGERS)
def test_numbers_past_sane_in_the_ledger(tmp_path, case):
    text, expected = LEDGERS[case]
    (tmp_path / "state.json").write_text(text)
    assert_refused(run(["state", "show"], tmp_path, {"QCDEPLOY_STATE": str(tmp_path / "state.json")}), expected)


def test_numbers_past_sane_in_a_saved_plan(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps({"qcdeploy_plan": 1, "digest": "x"})[:-1] + ', "n": 1e999}')
    env = {"QC_USER_ID": "1", "QC_API_TOKEN": "t", "QC_API_URL": "http://127.0.0.1:9/api/v2/"}
    assert_refused(run(["apply", "--plan", "plan.json"], tmp_path, env), "plan.json:1:", "1e999")


SEEDS = {
    "huge-integer": (f"projects: [{{projectId: {HUGE}, name: x}}]\n", "seed.yaml:1:24: a number of 5001 characters"),
    "non-finite": ("delay: .inf\n", "seed.yaml:1:8: .inf is not a finite number"),
    "mapping-as-key": ("projects: [{? {a: 1} : 2}]\n", "seed.yaml:1:15: found unhashable key"),
    "nested-50000": ("projects: " + "[" * 50_000 + "]" * 50_000 + "\n", "cannot read sandbox seed seed.yaml"),
}


@pytest.mark.parametrize("case", SEEDS)
def test_hostile_values_in_a_sandbox_seed(tmp_path, case):
    text, expected = SEEDS[case]
    (tmp_path / "seed.yaml").write_text(text)
    assert_refused(run(["sandbox", "--port", "0", "--seed", "seed.yaml"], tmp_path), expected)
