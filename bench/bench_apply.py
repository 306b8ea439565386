"""Benchmark: apply of 40 creates against the sandbox with 100 ms of added latency per request.

Prints the wall time at --parallelism 1, 4 and 8, the ratio of each to the ideal critical path, and the
API calls apply makes per deployment beside the minimum the API allows.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qcdeploy.cli import main
from qcdeploy.sandbox.seed import world_from_seed
from qcdeploy.sandbox.server import start

N, LATENCY, DELAY, POLL = 40, 0.1, 0.5, 0.1
USER, TOKEN, ORG = "1", "bench-token-0123456789", "bench-org"
# the fewest calls one create needs: compile/create, compile/read (built), live/create, live/read (Running)
MINIMUM = {"compile/create": 1, "compile/read": 1, "live/create": 1, "live/read": 1}
PLAN_CALLS = 3


def seed() -> dict[str, Any]:
    return {
        "userId": USER,
        "apiToken": TOKEN,
        "organizationId": ORG,
        "delay": DELAY,
        "projects": [{"projectId": 1000 + i, "name": f"Live/S{i}"} for i in range(N)],
        "nodes": [{"id": f"LN-{i:032x}", "name": f"node-{i}"} for i in range(N)],
    }


def manifest(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "qcdeploy/v1",
        "kind": "LiveDeployment",
        "metadata": {"name": f"s-{i:02d}"},
        "spec": {"project": 1000 + i, "node": f"node-{i}", "brokerage": {"id": "QuantConnectBrokerage"}},
    }


def one_run(parallelism: int, directory: Path) -> tuple[float, dict[str, int]]:
    server = start(world_from_seed(seed()))
    server.faults.latency = LATENCY
    os.environ.update({"QC_API_URL": server.url, "QCDEPLOY_STATE": str(directory / f"state-{parallelism}.json")})
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(["--no-color", "apply", "--auto-approve", "--parallelism", str(parallelism), str(directory)])
    wall = time.perf_counter() - started
    server.shutdown()
    assert code == 0, out.getvalue()[-2000:]
    return wall, dict(server.calls)


def main_bench() -> None:
    os.environ.update(
        {
            "QC_USER_ID": USER,
            "QC_API_TOKEN": TOKEN,
            "QC_ORGANIZATION_ID": ORG,
            "QCDEPLOY_POLL_INTERVAL": str(POLL),
            "QCDEPLOY_HEALTH_WINDOW": "0",  # the watch after Running is a chosen wait, not apply's own speed
        }
    )
    minimum = sum(MINIMUM.values())
    per_deployment = minimum * LATENCY + 2 * DELAY  # compile, then start
    ideal_unbounded = PLAN_CALLS * LATENCY + per_deployment
    print(
        f"{N} creates; {LATENCY * 1000:.0f} ms latency per request; compile and start take {DELAY}s each; "
        f"polling every {POLL}s (growing)"
    )
    print(f"ideal critical path (unlimited parallelism): {ideal_unbounded:.2f}s")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for i in range(N):
            (directory / f"s-{i:02d}.yaml").write_text(yaml.safe_dump(manifest(i)))
        base = None
        for parallelism in (1, 4, 8):
            wall, calls = one_run(parallelism, directory)
            ideal = PLAN_CALLS * LATENCY + math.ceil(N / parallelism) * per_deployment
            base = base or wall
            ratios = (
                f"ratio to ideal at this parallelism {wall / ideal:4.2f}, to unlimited {wall / ideal_unbounded:5.1f}"
            )
            print(f"--parallelism {parallelism}: {wall:6.2f}s  speed-up x{base / wall:4.1f}  {ratios}")
        apply_calls = dict(calls)
        total = sum(apply_calls.values()) - PLAN_CALLS  # the plan apply makes first is shared by all
        print(f"API calls per deployment: {total / N:.1f} (minimum the API allows: {minimum}); by endpoint:")
        for endpoint, count in sorted(apply_calls.items()):
            print(f"  {endpoint:<24} {count / N:5.2f} per deployment   minimum {MINIMUM.get(endpoint, 0)}")


if __name__ == "__main__":
    main_bench()
