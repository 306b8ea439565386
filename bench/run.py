"""`make bench`: every benchmark the README lists, one table of what was measured beside each goal.

Exit 1 when a goal was missed. The rows are printed as each benchmark ends; the whole table at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import (
    bench_apply,
    bench_hostile,
    bench_plan,
    bench_scrub,
    bench_speed,
    bench_startup,
    bench_vs_lean,
    bench_watch,
)
from bench.report import machine, show


def main() -> int:
    print(f"qcdeploy benchmarks on {machine()}", flush=True)
    rows = []
    for bench in (
        bench_startup,
        bench_hostile,
        bench_scrub,
        bench_plan,
        bench_apply,
        bench_speed,
        bench_vs_lean,
        bench_watch,
    ):
        print(f"{bench.__name__} ...", flush=True)
        rows.extend(bench.rows())
    return 0 if show(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
