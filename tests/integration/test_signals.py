"""Interrupts never exit silently: every interrupted apply exits 130 with a summary, whatever phase it was in.

First Ctrl-C or SIGTERM: nothing new starts, a replace whose stop has landed goes on to its create. Second: no more
waiting; the summary names every strategy left down (FLAT); the journal keeps the change. Third: exit at once.
Each test reads the CLI's output until it is in the phase named, then signals it (no sleep): stops are held by the
sandbox (slow-stops) until the test settles them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, Sandbox, manifest, qcdeploy_process, read_until, write

pytestmark = pytest.mark.usefixtures("env")


def start(manifests: Path, cwd: Path, *extra: str) -> subprocess.Popen[str]:
    return qcdeploy_process("apply", "--auto-approve", *extra, str(manifests), cwd=cwd, stderr=subprocess.STDOUT)


def replacing(cli, sandbox: Sandbox, manifests: Path) -> None:
    """alpha runs v1; the manifest says v2; stops take effect only when the test settles them."""
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 1}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    sandbox.admin("slow-stops", seconds=3600)


def test_one_ctrl_c_during_a_stop_finishes_the_replace_and_exits_130(cli, sandbox, manifests, tmp_path):
    replacing(cli, sandbox, manifests)
    proc = start(manifests, tmp_path)
    seen = read_until(proc.stdout, "stop L-")
    proc.send_signal(signal.SIGINT)
    seen += read_until(proc.stdout, "Received SIGINT")
    sandbox.admin("slow-stops", seconds=None)
    sandbox.admin("settle")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, seen + out
    assert "Apply interrupted: 1 done" in out and "FLAT" not in out
    assert "NOT YET SEEN RUNNING: the apply was interrupted before it could watch it" in out  # not a plain "done"
    [active] = sandbox.active(P_MOMENTUM)
    assert active["settings"]["parameters"] == {"v": "2"}  # the stop had landed: the create went ahead


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_two_interrupts_during_a_stop_print_the_summary_with_flat(cli, sandbox, manifests, ledger_path, tmp_path, sig):
    replacing(cli, sandbox, manifests)
    proc = start(manifests, tmp_path)
    read_until(proc.stdout, "stop L-")
    proc.send_signal(sig)
    read_until(proc.stdout, f"Received {sig.name}")
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert f"Received {sig.name} again: no longer waiting" in out
    assert "FLAT alpha: apply was interrupted twice after the stop of L-" in out
    assert "Apply interrupted:" in out and "Aborted." not in out and "Traceback" not in out
    assert json.loads(ledger_path.read_text())["journal"]["alpha"]["step"] == "stopping"
    sandbox.admin("slow-stops", seconds=None)
    sandbox.admin("settle")
    plan = cli("plan", str(manifests)).out
    assert plan.startswith("INTERRUPTED alpha: an apply died while stopping L-") and "(FLAT)" in plan, plan


def test_a_third_interrupt_exits_at_once_and_the_journal_holds(cli, sandbox, manifests, ledger_path, tmp_path):
    replacing(cli, sandbox, manifests)
    sandbox.server.calls.clear()
    sandbox.admin("faults", once={"hang": {"live/read": 1}}, armedBy="live/update/stop")  # a read that never ends
    proc = start(manifests, tmp_path)
    try:
        assert sandbox.server.faults.hung.wait(60)
    finally:
        sandbox.server.faults.release.set() if proc.poll() is not None else None
    for mark in ("Received SIGINT", "Received SIGINT again"):
        proc.send_signal(signal.SIGINT)
        read_until(proc.stdout, mark)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    sandbox.server.faults.release.set()
    assert proc.returncode == 130, out
    assert "a third time: exiting now" in out
    assert json.loads(ledger_path.read_text())["journal"]["alpha"]["step"] == "stopping"


def test_interrupted_while_compiling_exits_130(sandbox, manifests, tmp_path):
    sandbox.server.world.delay = 30.0  # the compile takes long enough to be interrupted
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    proc = start(manifests, tmp_path)
    read_until(proc.stdout, "compiling project")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "Apply interrupted: 0 done" in out and sandbox.deployments() == []


def test_interrupted_while_watching_the_health_window_exits_130(cli, sandbox, manifests, tmp_path):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    proc = start(manifests, tmp_path, "--health-window", "3600")
    read_until(proc.stdout, "watching it for")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "Apply interrupted: 1 done" in out and len(sandbox.active(P_MOMENTUM)) == 1


def test_interrupted_before_the_first_step_exits_130(cli, sandbox, manifests, ledger_path, tmp_path):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    holder = start(manifests, tmp_path, "--health-window", "3600")  # holds the lock while it watches
    read_until(holder.stdout, "watching it for")
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    waiting = start(manifests, tmp_path, "--lock-timeout", "600")
    read_until(waiting.stdout, "waiting up to")
    waiting.send_signal(signal.SIGINT)
    out, _ = waiting.communicate(timeout=60)
    holder.send_signal(signal.SIGTERM)
    holder.communicate(timeout=60)
    assert waiting.returncode == 130, out
    assert "Apply interrupted before its first step: nothing was stopped or deployed." in out


def test_health_windows_hold_no_parallelism_slot(cli, sandbox, manifests, tmp_path):
    """Under --parallelism 1, the second create is sent while the first deployment is in its health window: both
    windows are watched at once (before, a watched deployment held the only slot for the whole window)."""
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    write(manifests, "beta.yaml", manifest("beta", P_MEANREV, node="live-node-2"))
    proc = start(manifests, tmp_path, "--parallelism", "1", "--health-window", "3600")
    watchdog = threading.Timer(60, proc.kill)  # without the fix the second window never starts: fail, not hang
    watchdog.start()
    try:
        seen = read_until(proc.stdout, "watching it for")
        seen += read_until(proc.stdout, "watching it for")
    finally:
        watchdog.cancel()
    assert {line.split(":")[0] for line in seen.splitlines() if "watching it for" in line} == {"alpha", "beta"}
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Apply interrupted: 2 done" in out, seen + out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_plan_exits_130(sandbox, manifests, tmp_path, sig):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    sandbox.admin("faults", once={"hang": {"live/list": 1}})  # the plan's read of the live state never answers
    proc = subprocess.Popen(
        [sys.executable, "-m", "qcdeploy", "plan", str(manifests)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
        cwd=tmp_path,
    )
    try:
        assert sandbox.server.faults.hung.wait(60)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        sandbox.server.faults.release.set()
    assert proc.returncode == 130 and "Interrupted." in out and "Aborted." not in out, out


def test_a_second_interrupt_does_not_wait_for_a_request_that_hangs(cli, sandbox, manifests, ledger_path, tmp_path):
    """The stop's status read never answers (held by the sandbox until the test ends): the second Ctrl-C still
    prints the summary with FLAT and exits 130 at once, without waiting for that request."""
    replacing(cli, sandbox, manifests)
    sandbox.server.calls.clear()
    sandbox.admin("faults", once={"hang": {"live/read": 1}}, armedBy="live/update/stop")
    proc = start(manifests, tmp_path)
    try:
        assert sandbox.server.faults.hung.wait(60)
        proc.send_signal(signal.SIGINT)
        read_until(proc.stdout, "Received SIGINT")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)  # the held read would keep it 120 s
    finally:
        sandbox.server.faults.release.set()
    assert proc.returncode == 130, out
    assert "FLAT alpha: apply was interrupted twice" in out and "Apply interrupted:" in out
    assert json.loads(ledger_path.read_text())["journal"]["alpha"]["step"] == "stopping"
