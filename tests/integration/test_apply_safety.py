"""Safety rules, the ledger lock, interruption and parallel apply, through the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qcdeploy.sandbox import endpoints as sandbox_endpoints
from tests.helpers import P_MEANREV, P_MOMENTUM, P_PAIRS, P_SPARE, manifest, qcdeploy_process, read_until, write

pytestmark = pytest.mark.usefixtures("env")
ROOT = Path(__file__).resolve().parents[2]


def lock_path(state: str) -> Path:
    return Path(state + ".lock")


def three(manifests, **spec):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, node="live-node-1", **spec))
    write(manifests, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2", **spec))
    write(manifests, "c.yaml", manifest("pairs", P_PAIRS, node="live-node-3", **spec))


def test_max_stops(cli, sandbox, manifests):
    three(manifests)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    three(manifests, state="stopped")
    refused = cli("apply", "--auto-approve", "--allow-empty", "--max-stops", "2", str(manifests))
    assert refused.code == 1 and "it would stop or replace 3 deployment(s), more than --max-stops 2" in refused.err
    assert all(len(sandbox.active(p)) == 1 for p in (P_MOMENTUM, P_MEANREV, P_PAIRS))


def test_stopping_everything_needs_allow_empty(cli, sandbox, manifests):
    three(manifests)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    for name in ("a", "b", "c"):
        (manifests / f"{name}.yaml").unlink()
    write(manifests, "d.yaml", manifest("spare", P_SPARE, node="live-node-1", state="stopped"))
    refused = cli("apply", "--auto-approve", "--prune", str(manifests))
    assert (
        refused.code == 1
        and "stop every one of the 3 running deployments qcdeploy manages, leaving none" in refused.err
    )
    assert all(len(sandbox.active(p)) == 1 for p in (P_MOMENTUM, P_MEANREV, P_PAIRS))
    assert cli("apply", "--auto-approve", "--prune", "--allow-empty", str(manifests)).code == 0
    assert not any(sandbox.active(p) for p in (P_MOMENTUM, P_MEANREV, P_PAIRS))


def test_lock_held_by_a_live_process_is_reported(cli, sandbox, manifests, ledger_path):
    three(manifests)
    path = lock_path(str(ledger_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = {
        "id": "lock-123",
        "operation": "apply",
        "who": "ci@runner",
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "ci_run": "4711",
        "created": "2026-11-26T01:00:00Z",
    }
    path.write_text(json.dumps(holder))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1
    assert "is locked: apply by ci@runner" in result.err and "CI run 4711" in result.err
    assert "qcdeploy force-unlock lock-123" in result.err and "ago" in result.err
    assert sandbox.deployments() == []
    assert cli("force-unlock", "other-id").code == 1
    unlocked = cli("force-unlock", "lock-123")
    assert unlocked.code == 0 and not path.exists()
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert not path.exists()  # released after the apply


def test_stale_lock_of_a_dead_process_is_taken_over(cli, manifests, ledger_path):
    three(manifests)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = lock_path(str(ledger_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "id": "old",
                "operation": "apply",
                "who": "x",
                "host": socket.gethostname(),
                "pid": int(dead.stdout),
                "created": "2026-11-26T01:00:00Z",
            }
        )
    )
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert "Removed a stale lock" in result.err


def test_lock_timeout_waits_for_the_holder(cli, manifests, ledger_path):
    three(manifests)
    path = lock_path(str(ledger_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"id": "x", "operation": "apply", "who": "y", "host": socket.gethostname(), "pid": os.getpid()})
    )
    import threading

    threading.Timer(0.6, path.unlink).start()
    started = time.monotonic()
    result = cli("apply", "--auto-approve", "--lock-timeout", "10", str(manifests))
    assert result.code == 0 and time.monotonic() - started >= 0.6
    assert "is locked (apply by y" in result.err and "waiting up to 10s for it (--lock-timeout)" in result.err


def test_parallel_apply_overlaps_the_waits_and_keeps_lines_whole(cli, sandbox, manifests):
    """--parallelism 3: the three deployments start before the first one runs (the waits overlap), and each line
    of progress is one deployment's, whole, without colour codes."""
    sandbox.server.world.delay = 0.5
    three(manifests)
    starts: list[float] = []
    handler, writes = sandbox_endpoints.ENDPOINTS["live/create"]

    def timed(world, body):
        starts.append(world.clock())
        return handler(world, body)

    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sandbox_endpoints.ENDPOINTS, "live/create", (timed, writes))
        result = cli("apply", "--auto-approve", "--parallelism", "3", str(manifests))
    assert result.code == 0, result.text
    assert len(starts) == 3 and max(starts) - min(starts) < sandbox.server.world.delay  # all sent while one boots
    names = ("momentum", "meanrev", "pairs")
    progress = [line for line in result.out.splitlines() if line.startswith(tuple(f"{n}:" for n in names))]
    assert {line.split(":")[0] for line in progress} == set(names)
    assert all("\x1b" not in line and line.partition(": ")[2].strip() for line in progress), progress
    assert all(any(line.startswith(f"{n}:") and "Running" in line for line in progress) for n in names), progress


def test_sigterm_finishes_in_flight_steps_and_reports_the_rest(sandbox, manifests, ledger_path, tmp_path):
    sandbox.server.world.delay = 1.0
    for i, (name, pid) in enumerate((("momentum", P_MOMENTUM), ("meanrev", P_MEANREV), ("pairs", P_PAIRS))):
        write(manifests, f"{name}.yaml", manifest(name, pid, node=f"live-node-{i + 1}"))
    proc = qcdeploy_process("apply", "--auto-approve", "--parallelism", "1", str(manifests), cwd=tmp_path)
    seen = read_until(proc.stdout, "compiling")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    text = seen + out
    assert proc.returncode == 130, text + err
    assert "Received SIGTERM: no new step will start" in err
    assert "Apply interrupted:" in text and "not attempted" in text
    assert "Traceback" not in text + err
    # nothing half-done: no deployment was created by the interrupted run, the ledger is consistent
    assert sandbox.deployments() == []
    assert not lock_path(str(ledger_path)).exists()


def test_interrupt_mid_replace_finishes_the_replace(sandbox, manifests, ledger_path, tmp_path):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM))
    env = dict(os.environ)
    assert (
        subprocess.run(
            [sys.executable, "-m", "qcdeploy", "apply", "--auto-approve", str(manifests)], env=env, capture_output=True
        ).returncode
        == 0
    )
    sandbox.server.world.delay = 1.0
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, parameters={"x": 1}))
    proc = qcdeploy_process("apply", "--auto-approve", str(manifests), cwd=tmp_path)
    read_until(proc.stdout, "stop L-")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Received SIGINT" in err
    deps = sandbox.deployments(P_MOMENTUM)
    # the old one was stopped, so the new one was still deployed: never left flat
    assert deps[0]["status"] == "Stopped" and len(sandbox.active(P_MOMENTUM)) == 1
    assert json.loads(ledger_path.read_text())["deployments"]["momentum"]["deployId"] == deps[-1]["deployId"]
