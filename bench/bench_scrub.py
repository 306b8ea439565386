"""Benchmark: the scrubber's time on hostile output, 1 MiB each (the goal: at most 1 s a MiB, and linear: 4 MiB
within 4.5 times 1 MiB). An API answer or a log can hold a long run of backslashes, percent-encoded backslashes
or `&amp;` chains; a pattern that retries such a run from each of its positions takes quadratic time (16,000
backslashes once took 2.7 s).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import Row, show
from qcdeploy import redact

SECRET = 'hunter2-Sécr3t"/x\\y'  # quote, slash, backslash, non-ASCII: every kind of escape applies
MIB = 1 << 20
SECONDS_PER_MIB, LINEAR = 1.0, 4.5
CASES = {
    "backslashes": "\\",
    "percent-encoded backslashes": "%5C",
    "&amp; chained": "&amp;",
    "the secret's start escaped, again and again": '\\\\\\"hunter2-S',
    "plain text": "lorem ipsum ",
}


def timed(text: str) -> float:
    start = time.perf_counter()
    redact.scrub(text)
    return time.perf_counter() - start


def rows() -> list[Row]:
    redact.register(SECRET)
    try:
        worst, ratio = 0.0, 0.0
        for label, unit in CASES.items():
            one = timed(unit * (MIB // len(unit)))
            four = timed(unit * (4 * MIB // len(unit)))
            worst, ratio = max(worst, one), max(ratio, four / max(one, 1e-6))
            print(f"  {label}: 1 MiB {one:.3f} s, 4 MiB {four:.3f} s (x{four / max(one, 1e-6):.1f})", flush=True)
    finally:
        redact.clear()
    return [
        Row(
            f"scrubbing hostile output ({len(CASES)} cases), 1 MiB / 4 MiB",
            f"slowest {worst:.2f} s a MiB, 4 MiB x{ratio:.1f} of 1 MiB",
            f"<= {SECONDS_PER_MIB:.0f} s a MiB, <= x{LINEAR}",
            worst <= SECONDS_PER_MIB and ratio <= LINEAR,
        )
    ]


if __name__ == "__main__":
    sys.exit(0 if show(rows()) else 1)
