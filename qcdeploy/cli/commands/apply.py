"""`qcdeploy apply`: plan again (or load a saved plan), check the safety rules, confirm, carry out."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import HEALTH_WINDOW, planning_options, seconds_option
from qcdeploy.cli.signals import INTERRUPTED
from qcdeploy.cli.workspace import App, poll_interval, repo_root, split_args
from qcdeploy.errors import ConfigError, PlanRefused

if TYPE_CHECKING:
    from qcdeploy.apply.context import ApplyOptions, Context
    from qcdeploy.apply.outcome import Result
    from qcdeploy.apply.run import Guard
    from qcdeploy.cli.commands.planning import PlanRun
    from qcdeploy.model import Plan
    from qcdeploy.notify.base import Target
    from qcdeploy.planning.safety import Limits
    from qcdeploy.planning.savedplan import SavedPlan


@click.command()
@planning_options
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), help="Carry out a saved plan.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-protected", is_flag=True, help="Allow stopping or replacing protected deployments.")
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Allow stopping every running deployment qcdeploy manages (two or more) at once; replaces never count.",
)
@click.option("--max-stops", type=click.IntRange(min=0), metavar="N", help="Refuse if more than N would be stopped.")
@click.option(
    "--max-liquidation-value",
    type=click.FloatRange(min=0),
    metavar="AMOUNT",
    help="Refuse if the holdings the plan would liquidate are worth more (or cannot be read).",
)
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True, help="Deployments at once.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until new deployments are Running.")
@seconds_option("--timeout", 900, 1, "Limit for each wait (compile, stop, start).")
@seconds_option("--lock-timeout", 0, 0, "Wait this long for another apply to release the ledger.")
@seconds_option(
    "--health-window",
    30,
    0,
    "Watch each new deployment this long after Running; a crash in it counts as a failed create (0: off).",
    HEALTH_WINDOW,
)
@click.option("--ignore-windows", is_flag=True, help="Apply outside the change windows (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why the change windows are overridden (recorded in the ledger).")
@click.option("--no-rollback", is_flag=True, help="Do not redeploy what ran before when a replace fails.")
@click.option(
    "--accept-unreviewed-secrets",
    is_flag=True,
    help="Carry out a saved plan made without some secrets even where one now differs from the ledger's.",
)
@click.option(
    "--max-unavailable",
    type=click.IntRange(1, 1000),
    metavar="N",
    help="Replace at most N deployments at once; a failed wave halts the rest.  [default: the parallelism]",
)
@click.option(
    "--max-backtests",
    type=click.IntRange(1, 100),
    default=4,
    show_default=True,
    metavar="N",
    help="Backtest gates (gates.backtest) run at most N at once.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: the summary as JSON on stdout (progress goes to stderr).",
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
    allow_empty: bool,
    max_stops: int | None,
    max_liquidation_value: float | None,
    parallelism: int,
    wait: bool,
    timeout: float,
    lock_timeout: float,
    health_window: float,
    ignore_windows: bool,
    reason: str | None,
    no_rollback: bool,
    accept_unreviewed_secrets: bool,
    max_unavailable: int | None,
    max_backtests: int,
    fmt: str,
) -> int:
    """Make the live deployments match the manifests under PATHs, or carry out a saved plan.

    `apply FILE` with a file written by `plan --out` is `apply --plan FILE`: it re-reads the live state,
    refuses if anything the plan depends on changed, and otherwise does exactly what the plan said,
    without asking again.
    """
    from qcdeploy.apply.context import ApplyOptions
    from qcdeploy.ledger import lock
    from qcdeploy.planning import savedplan as planfile
    from qcdeploy.planning.safety import Limits

    if plan_file is None and len(args) == 1 and planfile.is_plan_file(args[0]):
        plan_file, args = args[0], ()
    if plan_file is not None and (args or targets or prune or replace_names):
        raise ConfigError("a saved plan fixes the paths and options; give only --plan FILE (and apply options)")
    poll_interval(app.environ)  # a bad QCDEPLOY_POLL_INTERVAL is refused now, not after the plan
    options = ApplyOptions(
        wait, timeout, parallelism, health_window, not no_rollback, max_unavailable, app.env or "", max_backtests
    )
    if fmt == "json":
        app.json_summary = True
    if ignore_windows and not (reason or "").strip():
        raise ConfigError("--ignore-windows needs --reason TEXT: the reason is recorded in the ledger's history")
    windows = reason.strip() if ignore_windows and reason else None
    limits = Limits(allow_protected, allow_empty, max_stops, max_liquidation_value, windows)
    # first, the manifests: an environment's overlay names its own ledger, which the lock below is taken on
    saved = _saved_plan(app, plan_file) if plan_file is not None else None
    try:
        app.load(planfile.rooted(saved.paths, _root(saved, plan_file)) if saved is not None else split_args(args)[0])
        with lock.held(app.backend(), "apply", lock_timeout, app.err, app.env):
            if saved is not None and plan_file is not None:
                if saved.allow_protected and not allow_protected:
                    app.progress(
                        "The saved plan was approved with --allow-protected at review; no flag is needed again."
                    )
                limits = replace(limits, allow_protected=allow_protected or saved.allow_protected)
                return _apply_saved(app, plan_file, saved, limits, options, accept_unreviewed_secrets)
            from qcdeploy.cli.commands.planning import make_plan

            run = make_plan(app, args, targets, prune, replace_names)
            return _carry_out(app, run, run.plan, limits, auto_approve, options)
    except KeyboardInterrupt:  # before the first step (planning, the lock, the question): the run's handlers
        # take over from the first step on, and never raise this
        _summarise_early(app)
        return INTERRUPTED


def _saved_plan(app: App, path: str) -> SavedPlan:
    """Read a saved plan; it carries the environment it was made for."""
    from qcdeploy.planning import savedplan as planfile

    saved = planfile.read(path)
    if app.env is not None and app.env != saved.environment:
        raise ConfigError(f"{path} was planned for environment {saved.environment or '(none)'}, not {app.env}")
    app.env = saved.environment
    return saved


def _root(saved: SavedPlan, path: str | None) -> Path:
    """The checkout a saved plan's paths are relative to: the current directory's, else the plan file's."""
    root = repo_root()
    if path is None or all((root / p).exists() for p in saved.paths):
        return root
    beside = repo_root(Path(path).resolve().parent)
    return beside if all((beside / p).exists() for p in saved.paths) else root


def _apply_saved(
    app: App, path: str, saved: SavedPlan, limits: Limits, options: ApplyOptions, accept_unreviewed: bool
) -> int:
    from qcdeploy.cli.commands.planning import plan_with
    from qcdeploy.model import Plan
    from qcdeploy.planning import savedplan as planfile

    root = _root(saved, path)
    paths = planfile.rooted(saved.paths, root)
    manifests = app.load(paths)
    run = plan_with(app, manifests, app.ledger(), paths, saved.options)
    _no_interruption_since(path, saved, run.plan)
    changes = planfile.check(saved, run.plan, run.state, run.ledger.entries, root)
    unreviewed = planfile.unreviewed_secrets(saved, changes, run.ledger.entries, run.ledger.salt)
    if unreviewed and not accept_unreviewed:
        raise PlanRefused(
            "; ".join(unreviewed) + f". {path} was made without these secrets, so nobody saw them change. Nothing "
            "was changed; plan again with them set, or pass --accept-unreviewed-secrets"
        )
    for line in unreviewed:
        app.progress(f"Accepted (--accept-unreviewed-secrets): {line}")
    app.progress(f"Carrying out the saved plan {path}; the live state still matches it.")
    again = f"qcdeploy apply{f' --env {app.env}' if app.env else ''} {path}"
    return _carry_out(app, run, Plan(changes), limits, True, options, again)


def _no_interruption_since(path: str, saved: SavedPlan, fresh: Plan) -> None:
    """A saved plan made before an apply died mid-change is stale for that deployment, even where the live state
    looks the same (a stop sent that has not yet landed): the plan never saw the journal entry."""
    import json

    from qcdeploy.planning.savedplan import StalePlan

    shown = json.loads(Path(path).read_text("utf-8")).get("plan", {})
    known = {str(i.get("name")) for i in shown.get("interrupted", []) if isinstance(i, dict)}
    planned = {str(f["name"]) for f in saved.fingerprints}
    since = sorted(i.name for i in fresh.interrupted if i.name in planned and i.name not in known)
    if since:
        raise StalePlan(
            f"plan is stale: {', '.join(since)}: an apply was interrupted mid-change after this plan was made. "
            "Nothing was changed; run plan again and review the new plan"
        )


def _carry_out(
    app: App,
    run: PlanRun,
    plan: Plan,
    limits: Limits,
    auto_approve: bool,
    options: ApplyOptions,
    saved: str = "",
) -> int:
    from qcdeploy.apply.run import Gates, Promotion, Window, apply_plan
    from qcdeploy.cli import notifying
    from qcdeploy.render.text import left_alone, render

    targets = notifying.targets(app)  # a broken notify: refuses the apply before anything changes
    allowed = ("protected",) if limits.allow_protected else ()
    app.progress(render(plan, app.style, app.settings.verbose, allowed), nl=False)
    if not plan.has_changes:
        if plan.interrupted:  # nothing left to do for them: their journal entries go
            from qcdeploy.apply.journaling import settle_resumed

            settle_resumed(_context(app, run, options), plan, [])
        _summarise(app, [], False)
        return 0
    _, closed, next_open = app.change_window()
    gate, missing, notes = app.promotion(plan, run.state)
    window = Window(closed, next_open, _window_now(app))
    gates = Gates(limits, window, Promotion(gate, tuple(missing), tuple(notes), saved))
    applied = apply_plan(
        plan,
        run.state,
        gates,
        _context(app, run, options),
        lambda: _confirm(auto_approve, app.env),
        app.err,
        _interruptible(app),
    )
    _summarise(app, applied.results, applied.interrupted)
    _notify(app, run, applied.results, targets)
    for line in left_alone(run.plan):
        app.progress(line)
    if applied.interrupted:
        return INTERRUPTED  # whatever was done: a script must tell "interrupted" from "finished" or "failed"
    return 0 if applied.ok else 1


def _notify(app: App, run: PlanRun, results: list[Result], targets: list[Target]) -> None:
    """applied, apply-failed, rolled-back and flat, to the notify: targets; a failing target is only reported."""
    from qcdeploy.apply.events import from_results
    from qcdeploy.cli import notifying

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for line in notifying.send(from_results(results, app.env or "", stamp), targets, run.ledger):
        app.err(line)


def _window_now(app: App) -> Callable[[], str] | None:
    """Why the change windows are closed at the moment it is asked: a window that closes during the apply holds
    back every change not yet started."""
    from datetime import datetime, timezone

    schedule = app.change_schedule()
    return None if schedule.empty else lambda: schedule.closed(datetime.now(timezone.utc))


def _context(app: App, run: PlanRun, options: ApplyOptions) -> Context:
    from qcdeploy.apply.context import Context
    from qcdeploy.apply.executor import line_logger
    from qcdeploy.apply.waiting import Poller

    poll = poll_interval(app.environ)
    poller = Poller(poll, max(poll, 10 * poll), progress_every=max(30.0, poll))
    baseline = {pid: dep.deploy_id for pid, dep in run.state.deployments.items()}
    return Context(app.api(), run.ledger, poller, line_logger(app.progress), options, app.environ, baseline)


def _interruptible(app: App) -> Guard:
    from qcdeploy.cli.signals import handled

    return lambda interrupted, abandoned: handled(app.err, interrupted, abandoned)


def _confirm(auto_approve: bool, environment: str | None = None) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ConfigError("apply needs confirmation but there is no terminal to ask on; pass --auto-approve")
    where = f" in environment {environment}" if environment else ""
    answer = click.prompt(
        f"Do you want to perform these actions{where}? Only 'yes' will be accepted", default="", show_default=False
    )
    if answer != "yes":
        raise PlanRefused("apply cancelled; nothing was changed")


def _summarise_early(app: App) -> None:
    from qcdeploy.apply import summary

    words = "Apply interrupted before its first step: nothing was stopped or deployed."
    if app.json_summary:
        app.out(summary.as_json([], True), nl=False)
    else:
        app.err(f"\n{words}")


def _summarise(app: App, results: list[Result], interrupted: bool) -> None:
    from qcdeploy.apply import summary

    if app.json_summary:
        app.out(summary.as_json(results, interrupted), nl=False)
    elif results:
        app.out(summary.text(results, interrupted, app.style, app.env or ""), nl=False)
