"""A benchmark's result rows: what was measured, the goal beside it, and whether it was met."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    work: str
    measured: str
    goal: str
    met: bool


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(rows: Iterable[Row]) -> str:
    rows = list(rows)
    width = max(len(r.work) for r in rows)
    measured = max(len(r.measured) for r in rows)
    lines = [f"{'work':<{width}}  {'measured':<{measured}}  goal", "-" * (width + measured + 30)]
    for r in rows:
        lines.append(f"{r.work:<{width}}  {r.measured:<{measured}}  {r.goal}  {'met' if r.met else 'MISSED'}")
    return "\n".join(lines)


def show(rows: Iterable[Row]) -> bool:
    """Print the table; True when every goal was met."""
    rows = list(rows)
    print(table(rows))
    return all(r.met for r in rows)
