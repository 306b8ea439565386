"""Benchmark: one `qcdeploy watch --once` pass over 1,000 managed manifests (10,000 live records), all well and
with one crash reported, beside a `plan` of the same: whole processes, as a scheduled job runs them. Prints the
wall times (median of 3) and the API calls, asserted to be the plan's (a pass that only reports reads what a plan
reads, and writes nothing). Goal: a pass costs at most 1.25 times a plan (the history, the heal policies)."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_plan import adopt_all, environment, plan_calls, seed, write_manifests
from bench.process import qcdeploy, sandbox
from bench.report import Row, show

MANIFESTS, RUNS, GOAL = 1000, 3, 1.25  # a pass's time over a plan's


def measure() -> dict[str, tuple[float, int]]:
    """{case: (median seconds, API calls of a pass)}."""
    results: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp_name, sandbox(seed(MANIFESTS)) as box:
        tmp = Path(tmp_name)
        directory = write_manifests(tmp, MANIFESTS)
        env = environment(box, tmp)
        adopt_all(directory, env)
        watch = ["--no-color", "watch", "--once", "--ignore-unmanaged", str(directory)]
        for case, argv, code in (
            ("plan", ["--no-color", "plan", str(directory)], 0),
            ("all well", watch, 0),
            ("one crash", watch, 2),
        ):
            if case == "one crash":
                box.admin("crash", {"projectId": 1000, "error": "Runtime Error: bench"})
            runs, calls = [], 0
            for _ in range(RUNS):
                before = sum(box.calls().values())
                run = qcdeploy(argv, env)
                calls = sum(box.calls().values()) - before
                assert run.code == code, run.stdout[-2000:] + run.stderr[-2000:]
                runs.append(run.seconds)
            results[case] = (statistics.median(runs), calls)
            print(f"  {MANIFESTS} manifests, {case}: {results[case][0]:.2f}s, {calls} API calls", flush=True)
    return results


def rows() -> list[Row]:
    measured = measure()
    expected = plan_calls(max(2 * MANIFESTS, 2000))
    plan_s = measured.pop("plan")[0]
    worst = max(s for s, _ in measured.values()) / plan_s
    text = " / ".join(f"{s:.2f} s" for s, _ in measured.values()) + f" (plan {plan_s:.2f} s, x{worst:.2f})"
    goal = f"<= x{GOAL} a plan"
    calls = ", ".join(str(c) for _, c in measured.values())
    same = all(c == expected for _, c in measured.values())
    return [
        Row(f"watch --once, {MANIFESTS:,} manifests (all well / one crash)", text, goal, worst <= GOAL),
        Row("watch --once API calls (report only)", calls, f"{expected} each (the plan's)", same),
    ]


if __name__ == "__main__":
    sys.exit(0 if show(rows()) else 1)
