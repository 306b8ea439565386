"""Benchmark: the same projects deployed with QuantConnect's lean CLI and with `qcdeploy apply`.

10 projects whose compile and start take 1 s each, on the sandbox at 127.0.0.1:5612 (the only address the lean
CLI can be pointed at: `QC_API=local`, qc-api §10.3). The lean CLI deploys one project per command, as a
shell loop over `lean cloud live deploy` would, and does not wait for the deployment to run; qcdeploy deploys
them all with `--parallelism 1` and waits until each one is Running (its health window set to 0: that is a
chosen watch, not a wait for Running). Prints both wall times, the API calls per deployment and the ratio.

Skipped with a notice when the lean CLI is not installed or port 5612 is taken. The lean CLI downloads a
modules file from its CDN at start-up, which an offline machine cannot reach: a one-module stand-in (the paper
brokerage, without the initial cash and holdings prompts, which would fetch more from GitHub) is written
beside the package, as tests/integration/test_lean_cli_client.py does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import ORG, TOKEN, USER, credentials, manifest, seed
from bench.process import qcdeploy, sandbox
from bench.report import Row, machine, show

N, DELAY, PORT = 10, 1.0, 5612
PAPER = {
    "id": "QuantConnectBrokerage",
    "display-id": "Paper Trading",
    "type": ["brokerage", "data-queue-handler"],
    "platform": ["cloud"],
    "configurations": [],
    "live-cash-balance-state": "not-supported",
    "live-holdings-state": "not-supported",
}


def lean_command() -> str | None:
    found = shutil.which("lean", path=os.path.dirname(sys.executable)) or shutil.which("lean")
    if found is None:
        return None
    import importlib.util

    spec = importlib.util.find_spec("lean")
    if spec is None or spec.origin is None:
        return None
    Path(spec.origin).with_name("modules-1.14.json").write_text(json.dumps({"modules": [PAPER]}))
    return found


def port_free() -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", PORT)) != 0


def with_lean(lean: str, tmp: Path) -> tuple[float, int]:
    """Wall time and API calls of N `lean cloud live deploy` commands, one after the other."""
    import subprocess

    home, work = tmp / "home", tmp / "work"
    (home / ".lean").mkdir(parents=True)
    work.mkdir()
    (home / ".lean" / "credentials").write_text(json.dumps({"user-id": USER, "api-token": TOKEN}))
    (work / "lean.json").write_text(json.dumps({"organization-id": ORG, "data-folder": "data"}))
    env = {**os.environ, "HOME": str(home), "QC_API": "local"}
    with sandbox(seed(N, DELAY), "--port", str(PORT)) as box:
        started = time.perf_counter()
        for i in range(N):
            args = ["cloud", "live", "deploy", f"Live/S{i}", "--brokerage", "Paper Trading"]
            args += ["--data-provider-live", "Paper Trading", "--node", f"node-{i}", "--auto-restart", "no"]
            args += ["--notify-order-events", "no", "--notify-insights", "no"]
            done = subprocess.run([lean, *args], cwd=work, env=env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0 or "Live url" not in done.stdout:
                raise RuntimeError(f"lean cloud live deploy failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
        wall = time.perf_counter() - started
        return wall, sum(box.calls().values())


def with_qcdeploy(tmp: Path) -> tuple[float, int]:
    directory = tmp / "manifests"
    directory.mkdir()
    for i in range(N):
        (directory / f"s-{i:02d}.yaml").write_text(yaml.safe_dump(manifest(i, f"Live/S{i}")))
    with sandbox(seed(N, DELAY), "--port", str(PORT)) as box:
        env = {**credentials(box.url, tmp / "state.json"), "QCDEPLOY_HEALTH_WINDOW": "0"}
        run = qcdeploy(["--no-color", "apply", "--auto-approve", "--parallelism", "1", str(directory)], env)
        assert run.code == 0, run.stdout[-2000:] + run.stderr[-2000:]
        running = [d for d in box.admin("state")["state"]["deployments"] if d["status"] == "Running"]
        assert len(running) == N, f"{len(running)} of {N} deployments run"
        return run.seconds, sum(box.calls().values())


def rows() -> list[Row]:
    lean = lean_command()
    if lean is None or not port_free():
        why = "the lean CLI is not installed" if lean is None else f"port {PORT} is taken"
        print(f"bench_vs_lean skipped: {why}", flush=True)
        return [Row(f"apply, {N} projects, --parallelism 1, vs lean CLI", f"skipped ({why})", "<= x1.0", True)]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        lean_wall, lean_calls = with_lean(lean, Path(a))
        ours_wall, ours_calls = with_qcdeploy(Path(b))
    print(
        f"  lean CLI: {lean_wall:.1f}s, {lean_calls / N:.1f} API calls per deployment (not waiting for Running)\n"
        f"  qcdeploy: {ours_wall:.1f}s, {ours_calls / N:.1f} API calls per deployment (each one waited on "
        "until Running; the plan's reads included)",
        flush=True,
    )
    ratio = ours_wall / lean_wall
    return [
        Row(
            f"apply, {N} projects, 1 s compile and boot, --parallelism 1",
            f"x{ratio:.2f} the lean CLI ({ours_wall:.1f} s / {lean_wall:.1f} s)",
            "<= x1.0 lean, waiting for Running",
            ratio <= 1.0,
        ),
        Row(
            "API calls per deployment, beside the lean CLI",
            f"{ours_calls / N:.1f} (lean CLI: {lean_calls / N:.1f})",
            "fewer than the lean CLI",
            ours_calls < lean_calls,
        ),
    ]


if __name__ == "__main__":
    print(f"qcdeploy beside the lean CLI on {machine()}")
    sys.exit(0 if show(rows()) else 1)
