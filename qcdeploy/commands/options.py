"""Options shared by plan and apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def planning_options(f: F) -> F:
    """--target, --prune, --replace."""
    f = click.option(
        "--replace",
        "replace_names",
        multiple=True,
        metavar="NAME",
        help="Redeploy NAME even if unchanged (repeatable).",
    )(f)
    f = click.option("--prune", is_flag=True, help="Stop deployments whose manifest was removed.")(f)
    f = click.option("--target", "targets", multiple=True, metavar="NAME", help="Plan only NAME (repeatable).")(f)
    return click.argument("args", nargs=-1)(f)
