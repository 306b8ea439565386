"""Options shared by plan and apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]
HEALTH_WINDOW = "QCDEPLOY_HEALTH_WINDOW"  # the environment's default of --health-window


def env_option(f: F) -> F:
    """--env NAME (or QCDEPLOY_ENV): which environment overlay, and so which ledger, to use."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.find_root().obj.env = value

    return click.option(
        "--env",
        metavar="NAME",
        envvar="QCDEPLOY_ENV",
        expose_value=False,
        callback=remember,
        help="Environment overlay to use (required when the manifests define environments).",
    )(f)


def rollback_interrupted_option(f: F) -> F:
    """--rollback-interrupted: a change an apply that died left in flight is finished with the old spec."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_root().obj.rollback_interrupted = True

    return click.option(
        "--rollback-interrupted",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Finish a change an interrupted apply left (INTERRUPTED) by redeploying what ran before, not the target.",
    )(f)


def planning_options(f: F) -> F:
    """--target, --prune, --replace, --rollback-interrupted."""
    f = rollback_interrupted_option(f)
    f = click.option(
        "--replace",
        "replace_names",
        multiple=True,
        metavar="NAME",
        help="Redeploy NAME even if unchanged (repeatable).",
    )(f)
    f = click.option("--prune", is_flag=True, help="Stop deployments whose manifest was removed.")(f)
    f = click.option("--target", "targets", multiple=True, metavar="NAME", help="Plan only NAME (repeatable).")(f)
    return env_option(click.argument("args", nargs=-1)(f))


def seconds_option(name: str, default: float, minimum: float, help: str, envvar: str | None = None) -> Callable[[F], F]:
    """A duration in seconds (--timeout, --lock-timeout, --health-window), shown with its default."""
    return click.option(
        name,
        type=click.FloatRange(min=minimum),
        default=default,
        show_default=True,
        envvar=envvar,
        metavar="SECONDS",
        help=help,
    )
