"""`qcdeploy apply`: plan again (or load a saved plan), confirm, carry out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from qcdeploy.app import App, poll_interval
from qcdeploy.commands.options import planning_options
from qcdeploy.errors import ConfigError, PlanRefused

if TYPE_CHECKING:
    from qcdeploy.commands.planning import PlanRun
    from qcdeploy.executor import ApplyOptions, Result
    from qcdeploy.model import Plan


@click.command()
@planning_options
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Carry out a saved plan.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-protected", is_flag=True, help="Allow stopping or replacing protected deployments.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True, help="Deployments at once.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until new deployments are Running.")
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
    plan_file: str | None,
    auto_approve: bool,
    allow_protected: bool,
    parallelism: int,
    wait: bool,
    timeout: float,
) -> int:
    """Make the live deployments match the manifests under PATHs, or carry out a saved plan.

    `apply FILE` with a file written by `plan --out` is `apply --plan FILE`: it re-reads the live state,
    refuses if anything the plan depends on changed, and otherwise does exactly what the plan said,
    without asking again.
    """
    from qcdeploy import planfile
    from qcdeploy.executor import ApplyOptions

    if plan_file is None and len(args) == 1 and planfile.is_plan_file(args[0]):
        plan_file, args = args[0], ()
    options = ApplyOptions(wait, timeout, parallelism)
    if plan_file is not None:
        if args or targets or prune or replace_names:
            raise ConfigError("a saved plan fixes the paths and options; give only --plan FILE (and apply options)")
        return _apply_saved(app, plan_file, allow_protected, options)
    from qcdeploy.commands.planning import make_plan

    run = make_plan(app, args, targets, prune, replace_names)
    return _carry_out(app, run, run.plan, allow_protected, auto_approve, options)


def _apply_saved(app: App, path: str, allow_protected: bool, options: ApplyOptions) -> int:
    from qcdeploy import planfile
    from qcdeploy.commands.planning import plan_with
    from qcdeploy.model import Plan

    saved = planfile.read(path)
    manifests = app.load(list(saved.paths))
    run = plan_with(app, manifests, app.ledger(), list(saved.paths), saved.options)
    changes = planfile.check(saved, manifests, run.plan, run.state, run.ledger.entries)
    app.out(f"Carrying out the saved plan {path}; the live state still matches it.")
    return _carry_out(app, run, Plan(changes), allow_protected, True, options)


def _carry_out(
    app: App, run: PlanRun, plan: Plan, allow_protected: bool, auto_approve: bool, options: ApplyOptions
) -> int:
    from qcdeploy.executor import Executor
    from qcdeploy.render.text import left_alone, render
    from qcdeploy.waiting import Poller

    app.out(render(plan, app.style), nl=False)
    if not plan.has_changes:
        return 0
    _refuse_protected(plan, allow_protected)
    _confirm(auto_approve)
    poll = poll_interval(app.environ)
    executor = Executor(app.api(), run.ledger, options, Poller(poll, max(poll, 10 * poll)), app.out)
    results = executor.run(plan.changes)
    _summarise(app, results)
    for line in left_alone(run.plan):
        app.out(line)
    return 1 if any(r.outcome.value != "done" for r in results) else 0


def _refuse_protected(plan: Plan, allow_protected: bool) -> None:
    protected = [c.name for c in plan.changes if c.protected and c.stops]
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
        "Do you want to perform these actions? Only 'yes' will be accepted", default="", show_default=False
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
