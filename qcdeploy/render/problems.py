"""Validation problems -> text (`file:line:col: message`), GitHub annotations, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from qcdeploy.errors import Problem

FORMATS = ("text", "github", "json")


def text(problems: Sequence[Problem]) -> str:
    return "".join(f"{p}\n" for p in problems)


def github(problems: Sequence[Problem], level: str = "error") -> str:
    """`::error file=F,line=L,col=C::message` (or `::warning ...`), escaped as the workflow-command syntax
    requires."""
    lines = []
    for p in problems:
        if p.location is None:
            lines.append(f"::{level}::{_data(p.message)}")
        else:
            loc = p.location
            props = f"file={_prop(loc.file)},line={loc.line},col={loc.col}"
            lines.append(f"::{level} {props}::{_data(p.message)}")
    return "".join(line + "\n" for line in lines)


def as_json(problems: Sequence[Problem], manifests: int, files: int) -> str:
    return (
        json.dumps(
            {
                "valid": not problems,
                "manifests": manifests,
                "files": files,
                "problems": [
                    {
                        "file": p.location.file if p.location else None,
                        "line": p.location.line if p.location else None,
                        "col": p.location.col if p.location else None,
                        "message": p.message,
                    }
                    for p in problems
                ],
            },
            indent=2,
        )
        + "\n"
    )


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")
