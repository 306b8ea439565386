"""apply's confirmation names the environment it would change (paper and live look alike in a terminal)."""

from __future__ import annotations

import importlib
import io

import click
import pytest

from qcdeploy.errors import PlanRefused

apply_cmd = importlib.import_module("qcdeploy.cli.commands.apply")  # the module: the package exports the command


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environment", "question"),
    [
        ("live", "Do you want to perform these actions in environment live? Only 'yes' will be accepted"),
        (None, "Do you want to perform these actions? Only 'yes' will be accepted"),
    ],
)
def test_the_prompt_names_the_environment(monkeypatch, environment, question):
    asked: list[str] = []
    monkeypatch.setattr(apply_cmd.sys, "stdin", Terminal())

    def prompt(text: str, **kw: object) -> str:
        asked.append(text)
        return "no"

    monkeypatch.setattr(click, "prompt", prompt)
    with pytest.raises(PlanRefused, match="apply cancelled; nothing was changed"):
        apply_cmd._confirm(False, environment)
    assert asked == [question]
