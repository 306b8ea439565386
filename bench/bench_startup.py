"""Benchmark: start-up cost of `qcdeploy --help` and `qcdeploy validate FILE` beside `python -c pass`.

Also checks which heavy modules each command imports: requests and deepdiff must stay off both paths.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.process import installed_environ
from bench.report import Row, show

RUNS = 10
MANIFEST = """\
apiVersion: qcdeploy/v1
kind: LiveDeployment
metadata: {name: momentum}
spec: {project: 1, node: n1, brokerage: {id: QuantConnectBrokerage}}
"""
PROBE = (
    "import sys; from qcdeploy.cli import main; main({args!r}); "
    "print(sorted(m for m in ('requests', 'jsonschema', 'deepdiff') if m in sys.modules), file=sys.stderr)"
)


def timed(argv: list[str]) -> float:
    """Median wall time, after one warm-up run that writes the bytecode an install would have compiled."""
    env = installed_environ()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def heavy_imports(args: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[-1]


def rows() -> list[Row]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "m.yaml")
        path.write_text(MANIFEST)
        base = timed([sys.executable, "-c", "pass"])
        print(f"  python -c pass: {base * 1000:.1f} ms (median of {RUNS})", flush=True)
        for label, args, goal in (
            ("qcdeploy --help", ["--help"], 60),
            ("qcdeploy validate m.yaml", ["validate", str(path)], 100),
        ):
            wall = timed([sys.executable, "-m", "qcdeploy", *args])
            extra = (wall - base) * 1000
            print(f"  {label}: {wall * 1000:.1f} ms; heavy modules imported: {heavy_imports(args)}", flush=True)
            out.append(Row(f"{label}, over python -c pass", f"+{extra:.0f} ms", f"<= +{goal} ms", extra <= goal))
    return out


if __name__ == "__main__":
    sys.exit(0 if show(rows()) else 1)
