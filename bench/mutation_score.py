"""`make mutate`'s report: mutmut's verdicts on the safety modules, counted per module, the score, and which
surviving mutants are not yet judged.

Reads `mutmut results --all true` on stdin (one `name: verdict` a line). The score is killed (by a test, by the
type checker, or by timing out) over all mutants that some test runs or the type checker sees. "no tests" counts
mutants in code that no unit test reaches. A mutant that survives or that no test reaches is "explained" when
docs/mutation/*.md names it in backticks (its full name, or a pattern with `*`, as `fnmatch` reads it) with the
reason it changes no behaviour or the sandbox test that kills it; "unjudged" counts the rest, and the names of
those are printed under the table. The goal of `make mutate` is no unjudged mutant.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections import Counter
from pathlib import Path

LINE = re.compile(r"^\s*(?P<name>(?P<module>[\w.]+?)\.x\S*__mutmut_\d+): (?P<verdict>.+?)\s*$")
VERDICTS = ("killed", "caught by type check", "timeout", "survived", "no tests")
HEADINGS = ("killed", "mypy", "timeout", "survived", "no tests", "explained", "unjudged")
OPEN = ("survived", "no tests")
NAMED = re.compile(r"`(qcdeploy\.[^`\s]+)`")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "mutation"


def verdicts(lines: list[str]) -> dict[str, tuple[str, str]]:
    """Each mutant's module and verdict, by its name."""
    found = (LINE.match(line) for line in lines)
    return {m["name"]: (m["module"], m["verdict"]) for m in found if m}


def explained_patterns(docs: Path = DOCS) -> list[str]:
    return [name for path in sorted(docs.glob("*.md")) for name in NAMED.findall(path.read_text())]


def is_explained(name: str, patterns: list[str]) -> bool:
    return any(name == p or ("*" in p and fnmatch.fnmatchcase(name, p)) for p in patterns)


def counts(results: dict[str, tuple[str, str]], patterns: list[str]) -> tuple[dict[str, Counter[str]], list[str]]:
    by_module: dict[str, Counter[str]] = {}
    unjudged: list[str] = []
    for name, (module, verdict) in sorted(results.items()):
        seen = by_module.setdefault(module, Counter())
        seen[verdict] += 1
        if verdict in OPEN:
            if is_explained(name, patterns):
                seen["explained"] += 1
            else:
                seen["unjudged"] += 1
                unjudged.append(f"{name}: {verdict}")
    return by_module, unjudged


def table(by_module: dict[str, Counter[str]]) -> str:
    rows = [f"{'module':34} " + " ".join(f"{h:>9}" for h in HEADINGS) + "     score"]
    total: Counter[str] = Counter()
    for module, seen in sorted(by_module.items()):
        total.update(seen)
        rows.append(_row(module, seen))
    rows.append(_row("all", total))
    return "\n".join(rows)


def _row(name: str, seen: Counter[str]) -> str:
    killed = seen["killed"] + seen["caught by type check"] + seen["timeout"]
    tested = killed + seen["survived"]
    score = f"{100 * killed / tested:5.1f}%" if tested else "    -"
    cells = [seen[v] for v in VERDICTS] + [seen["explained"], seen["unjudged"]]
    return f"{name:34} " + " ".join(f"{c:>9}" for c in cells) + f"    {score}"


if __name__ == "__main__":
    by_module, unjudged = counts(verdicts(sys.stdin.read().splitlines()), explained_patterns())
    print(table(by_module))
    if unjudged:
        print(f"\n{len(unjudged)} mutants survive or reach no test and are not explained in docs/mutation/:")
        print("\n".join(f"  {line}" for line in unjudged))
