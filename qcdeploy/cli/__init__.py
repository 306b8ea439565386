"""The command line: the click group and its error boundary (group.py), what every command shares (the workspace:
settings, environment, ledger, API; workspace.py), and one thin module per command (commands/). Commands parse
options and call one function of the core; nothing below this package imports it."""

from qcdeploy.cli.group import cli, main

__all__ = ["cli", "main"]
