"""`qcdeploy apply`: plan again, confirm, carry out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from qcdeploy.app import App, poll_interval
from qcdeploy.commands.options import planning_options
from qcdeploy.errors import ConfigError, PlanRefused

if TYPE_CHECKING:
    from qcdeploy.executor import Result
    from qcdeploy.model import Plan


@click.command()
@planning_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-protected", is_flag=True, help="Allow stopping or replacing protected deployments.")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Deployments worked on at once.",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait until new deployments are Running.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=900,
    show_default=True,
    metavar="SECONDS",
    help="Limit for each wait (compile, stop, start).",
)
@click.pass_obj
def apply(
    app: App,
    args: tuple[str, ...],
    targets: tuple[str, ...],
    prune: bool,
    replace_names: tuple[str, ...],
    auto_approve: bool,
    allow_protected: bool,
    parallelism: int,
    wait: bool,
    timeout: float,
) -> int:
    """Make the live deployments match the manifests under PATHs."""
    from qcdeploy.commands.planning import make_plan
    from qcdeploy.executor import ApplyOptions, Executor
    from qcdeploy.render.text import left_alone, render
    from qcdeploy.waiting import Poller

    result, ledger = make_plan(app, args, targets, prune, replace_names)
    app.out(render(result, app.style), nl=False)
    if not result.has_changes:
        return 0
    _refuse_protected(result, allow_protected)
    _confirm(auto_approve)
    poll = poll_interval(app.environ)
    executor = Executor(
        app.api(),
        ledger,
        ApplyOptions(wait, timeout, parallelism),
        Poller(poll, max(poll, 10 * poll)),
        app.out,
    )
    results = executor.run(result.changes)
    _summarise(app, results)
    for line in left_alone(result):
        app.out(line)
    return 1 if any(r.outcome.value != "done" for r in results) else 0


def _refuse_protected(result: Plan, allow_protected: bool) -> None:
    protected = [c.name for c in result.changes if c.protected and c.stops]
    if protected and not allow_protected:
        raise PlanRefused(
            f"refusing to stop or replace protected deployment(s) {', '.join(protected)}; nothing was changed. "
            "Re-run with --allow-protected if you mean it, or narrow the plan with --target"
        )


def _confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ConfigError("apply needs confirmation but there is no terminal to ask on; pass --auto-approve")
    answer = click.prompt(
        "Do you want to perform these actions? Only 'yes' will be accepted",
        default="",
        show_default=False,
    )
    if answer != "yes":
        raise PlanRefused("apply cancelled; nothing was changed")


def _summarise(app: App, results: list[Result]) -> None:
    app.out("")
    done = [r for r in results if r.outcome.value == "done"]
    failed = [r for r in results if r.outcome.value == "failed"]
    skipped = [r for r in results if r.outcome.value == "not attempted"]
    app.out(f"Apply finished: {len(done)} done, {len(failed)} failed, {len(skipped)} not attempted.")
    for r in done:
        app.out(f"  done    {r.change.action.symbol} {r.change.name}: {r.detail or r.change.action.value}")
    for r in failed:
        app.out(f"  FAILED  {r.change.action.symbol} {r.change.name}: {r.detail}")
    for r in skipped:
        app.out(f"  skipped {r.change.action.symbol} {r.change.name}")
    if failed or skipped:
        app.out("Run `qcdeploy apply` again to finish; what was done is recorded in the ledger.")
