"""`make mutate`'s report: mutmut's verdicts on the safety modules, counted per module, and the score.

Reads `mutmut results --all true` on stdin (one `name: verdict` a line). The score is killed over all mutants
that some test runs (killed, survived, timeout); "no tests" counts mutants in code that no test of the selection
reaches (the apply steps that only the sandbox tests drive).
"""

from __future__ import annotations

import re
import sys
from collections import Counter

LINE = re.compile(r"^\s*(?P<module>[\w.]+?)\.x.*__mutmut_\d+: (?P<verdict>.+?)\s*$")
VERDICTS = ("killed", "survived", "timeout", "no tests")


def counts(lines: list[str]) -> dict[str, Counter[str]]:
    by_module: dict[str, Counter[str]] = {}
    for line in lines:
        found = LINE.match(line)
        if found:
            by_module.setdefault(found["module"], Counter())[found["verdict"]] += 1
    return by_module


def table(by_module: dict[str, Counter[str]]) -> str:
    rows = [f"{'module':34} " + " ".join(f"{v:>9}" for v in VERDICTS) + "     score"]
    total: Counter[str] = Counter()
    for module, seen in sorted(by_module.items()):
        total.update(seen)
        rows.append(_row(module, seen))
    rows.append(_row("all", total))
    return "\n".join(rows)


def _row(name: str, seen: Counter[str]) -> str:
    tested = seen["killed"] + seen["survived"] + seen["timeout"]
    score = f"{100 * (seen['killed'] + seen['timeout']) / tested:5.1f}%" if tested else "    -"
    return f"{name:34} " + " ".join(f"{seen[v]:>9}" for v in VERDICTS) + f"    {score}"


if __name__ == "__main__":
    print(table(counts(sys.stdin.read().splitlines())))
