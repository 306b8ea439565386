"""The command line's own parsing, before any command runs."""

from __future__ import annotations

from qcdeploy.cli.group import hoist_global_flags


def test_global_flags_may_follow_the_command():
    assert hoist_global_flags(["plan", "--no-color", "x", "-v"]) == ["--no-color", "-v", "plan", "x"]
    assert hoist_global_flags(["plan", "--", "-v"]) == ["plan", "--", "-v"]
