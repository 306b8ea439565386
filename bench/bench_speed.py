"""Benchmark: apply's wall time against the ideal, and health windows side by side (issue 21).

10 new deployments on the sandbox in its own process, each compile taking 1 s and each start 2 s, qcdeploy run as
a user runs it:

- `--parallelism 10 --health-window 0` at 0 and 100 ms of added latency per request: wall / ideal, where the ideal
  is everything side by side (the plan's reads, one compile, one boot, a few round trips); and the API calls per
  deployment, waits included;
- at the default parallelism (4) and health window (30 s): the wall time against the same apply without windows
  plus one window plus 5 s (a watched deployment holds no parallelism slot);
- the same 10 projects deployed by `lean cloud live deploy` in a loop (not waiting for Running), for scale.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import credentials, manifest, seed
from bench.process import qcdeploy, sandbox
from bench.report import Row, machine, show

N, COMPILE, BOOT, POLL, WINDOW = 10, 1.0, 2.0, 0.25, 30.0
PLAN_CALLS = 3  # live/list, projects/read, projects/nodes/read
ROUND_TRIPS = 5  # files/read (the code hash), compile/create, compile/read, live/create, live/read: the least


def apply_once(tmp: Path, latency: float, *options: str) -> tuple[float, int]:
    """Wall time and API calls of one apply of N creates."""
    directory = tmp / f"m-{latency}-{'-'.join(options)}"
    directory.mkdir()
    for i in range(N):
        (directory / f"s-{i:02d}.yaml").write_text(yaml.safe_dump(manifest(i, f"Live/S{i}")))
    with sandbox(seed(N, COMPILE)) as box:
        box.admin("slow-starts", {"seconds": BOOT})
        box.admin("faults", {"latency": latency})
        env = {**credentials(box.url, directory / "state.json"), "QCDEPLOY_POLL_INTERVAL": str(POLL)}
        run = qcdeploy(["--no-color", "apply", "--auto-approve", *options, str(directory)], env)
        assert run.code == 0, run.stdout[-2000:] + run.stderr[-2000:]
        return run.seconds, sum(box.calls().values())


def ideal(latency: float) -> float:
    return (PLAN_CALLS + ROUND_TRIPS) * latency + COMPILE + BOOT


def rows() -> list[Row]:
    out: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for latency in (0.0, 0.1):
            wall, calls = apply_once(Path(tmp), latency, "--parallelism", "10", "--health-window", "0")
            ratio, per = wall / ideal(latency), calls / N
            print(f"  {latency * 1000:.0f} ms: {wall:.2f}s (ideal {ideal(latency):.2f}s), {per:.1f} calls each")
            out.append(
                Row(
                    f"apply, {N} creates at once, {latency * 1000:.0f} ms latency: wall / ideal",
                    f"x{ratio:.2f}",
                    "<= x1.2",
                    ratio <= 1.2,
                )
            )
            out.append(
                Row(
                    f"API calls per deployment, {latency * 1000:.0f} ms latency",
                    f"{per:.1f}",
                    "<= 6 including the waits and files/read (the code hash)",
                    per <= 6,
                )
            )
        bare, _ = apply_once(Path(tmp), 0.0, "--health-window", "0")
        watched, _ = apply_once(Path(tmp), 0.0, "--health-window", f"{WINDOW:g}")
        print(f"  parallelism 4: {bare:.1f}s without windows, {watched:.1f}s with {WINDOW:g}s windows")
        out.append(
            Row(
                f"apply, {N} creates, --parallelism 4, {WINDOW:g} s health windows",
                f"{watched:.1f} s ({bare:.1f} s without)",
                f"<= {bare:.1f} + {WINDOW:g} + 5 s",
                watched <= bare + WINDOW + 5,
            )
        )
    out.append(_beside_lean())
    return out


def _beside_lean() -> Row:
    from bench import bench_vs_lean

    lean = bench_vs_lean.lean_command()
    if lean is None or not bench_vs_lean.port_free():
        return Row(
            f"apply, {N} creates at once, beside lean CLI", "skipped (no lean CLI or port 5612 taken)", "-", True
        )
    with tempfile.TemporaryDirectory() as tmp:
        lean_wall, _ = bench_vs_lean.with_lean(lean, Path(tmp))  # 1 s compile and start, one command each
        ours, _ = apply_once(Path(tmp), 0.0, "--parallelism", "10", "--health-window", "0")
    return Row(
        f"apply, {N} creates at once (2 s boot, waits for Running), beside lean CLI (1 s, no wait)",
        f"x{ours / lean_wall:.2f} ({ours:.1f} s / {lean_wall:.1f} s)",
        "reported",
        True,
    )


if __name__ == "__main__":
    print(f"apply's speed against the ideal on {machine()}")
    sys.exit(0 if show(rows()) else 1)
