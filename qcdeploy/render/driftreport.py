"""Drift findings -> text, Markdown (for a tracking issue) or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from qcdeploy.planning.drift import KINDS, Finding

MARKER = "<!-- qcdeploy-drift -->"


def text(found: Sequence[Finding]) -> str:
    if not found:
        return "No drift: the live fleet matches the manifests.\n"
    lines = [f"Drift: {len(found)} finding(s)."]
    for f in found:
        where = f"[{f.environment}] " if f.environment else ""
        lines.append(
            f"  {f.kind:<20} {where}{f.name or '-':<24} project {f.project_id} {f.deploy_id or '-'}: {f.detail}"
        )
    return "\n".join(lines) + "\n"


def markdown(found: Sequence[Finding]) -> str:
    lines = [MARKER, "## qcdeploy drift report", ""]
    if not found:
        return "\n".join([*lines, "**No drift:** the live fleet matches the manifests.", ""])
    lines += [f"**{len(found)} finding(s).**", ""]
    for kind, title in KINDS.items():
        group = [f for f in found if f.kind == kind]
        if group:
            lines += [
                f"### {title} ({len(group)})",
                "",
                "| deployment | project | deployId | detail |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| `{f.name or '-'}`{f' ({f.environment})' if f.environment else ''} | {f.project_id} "
                f"| `{f.deploy_id or '-'}` | {_cell(f.detail)} |"
                for f in group
            ]
            lines.append("")
    return "\n".join(lines)


def as_json(found: Sequence[Finding]) -> str:
    return (
        json.dumps({"format_version": "1.0", "drift": bool(found), "findings": [asdict(f) for f in found]}, indent=2)
        + "\n"
    )


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")[:300]
