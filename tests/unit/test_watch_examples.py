"""The ways to run watch that ship as files (Dockerfile, systemd unit) name options the command has."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click

from qcdeploy.cli.group import cli

ROOT = Path(__file__).resolve().parents[2]


def parses(argv: list[str]) -> click.Context:
    """qcdeploy's own parser: an unknown option or a bad value raises, as it would for the user."""
    at = argv.index("watch")
    known = {opt for p in cli.params for opt in p.opts}
    assert all(a in known for a in argv[:at]), argv[:at]  # global flags before the command
    return cli.commands["watch"].make_context("watch", argv[at + 1 :])


def line(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    assert found is not None, pattern
    return found[1]


def test_the_dockerfile_runs_qcdeploy_watch_by_default():
    text = (ROOT / "Dockerfile").read_text()
    entry = json.loads(line(r"^ENTRYPOINT (.+)$", text))
    command = json.loads(line(r"^CMD (.+)$", text))
    assert entry[0] == "qcdeploy" and command[0] == "watch"
    parses([*entry[1:], *command])


def test_the_systemd_unit_names_options_watch_has_and_stops_it_with_sigterm():
    text = (ROOT / "examples/watch/qcdeploy-watch.service").read_text()
    argv = shlex.split(line(r"^ExecStart=(.+)$", text))
    assert argv[0].endswith("/qcdeploy")
    ctx = parses(argv[1:])
    assert ctx.params["pull"] and ctx.params["listen"] == "127.0.0.1:9464"
    assert "KillSignal=SIGTERM" in text and "SuccessExitStatus=130" in text
