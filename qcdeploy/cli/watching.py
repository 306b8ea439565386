"""One pass of `watch`: read what a plan reads, decide (planning.watch), and, under the ledger's lock, carry out
the heals and syncs through apply's own `apply_plan` (every gate), then tell the notification targets.

A pass that only reports writes nothing and takes no lock. Heals, syncs and the record of notifications sent are
ledger writes: they wait for the lock, and when another run holds it they wait for the next pass."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from qcdeploy.cli import notifying
from qcdeploy.cli.workspace import App, poll_interval
from qcdeploy.errors import PlanRefused, QcdeployError
from qcdeploy.redact import scrub

if TYPE_CHECKING:
    from qcdeploy.apply.context import Context
    from qcdeploy.apply.outcome import Result
    from qcdeploy.apply.run import Gates
    from qcdeploy.cli.commands.planning import PlanRun
    from qcdeploy.model import Plan
    from qcdeploy.notify.base import Event, Target
    from qcdeploy.planning.heal import HealPolicy
    from qcdeploy.planning.watch import Decision, Survey


@dataclass(frozen=True)
class WatchOptions:
    args: tuple[str, ...] = ()
    sync: bool = False
    health_window: float = 30.0
    timeout: float = 900.0
    include_unmanaged: bool = True


@dataclass
class Healed:
    """What became of one heal or sync."""

    decision: Decision
    outcome: str  # healed | synced | held | failed
    detail: str = ""
    results: list[Result] = field(default_factory=list)


@dataclass
class PassReport:
    """Everything one pass learned: what the command prints, the metrics export and the status page shows."""

    at: datetime
    survey: Survey
    run: PlanRun
    policies: dict[str, HealPolicy]
    healed: list[Healed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # held locks, failed notifications
    duration: float = 0.0

    @property
    def found(self) -> bool:
        return self.survey.found or bool(self.healed)


def run_pass(app: App, options: WatchOptions, clock: Callable[[], datetime] | None = None) -> PassReport:
    """One pass; a fresh App each time, so manifests and the ledger are read anew."""
    now = (clock or _utcnow)()
    started = time.monotonic()
    fresh = App(app.settings, app.environ, env=app.env)
    report = _observe(fresh, options, now, require_secrets=False)
    events = _events(report, fresh)
    targets = notifying.targets(fresh)
    if report.survey.acting() or notifying.unsent(events, targets, report.run.ledger.history):
        _write_phase(fresh, options, report, targets, clock or _utcnow)
    report.duration = time.monotonic() - started
    return report


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _observe(app: App, options: WatchOptions, now: datetime, require_secrets: bool) -> PassReport:
    from qcdeploy.cli.commands.planning import make_plan
    from qcdeploy.planning.watch import interrupted_changes, survey

    run = make_plan(app, options.args, (), False, (), require_secrets=require_secrets)
    policies = _policies(app, run)
    history = run.ledger.history
    found = survey(run.plan, run.ledger.entries, policies, history, now, options.sync, options.include_unmanaged)
    found = replace(found, interrupted=interrupted_changes(run.plan))
    return PassReport(now, found, run, policies)


def _policies(app: App, run: PlanRun) -> dict[str, HealPolicy]:
    """Each manifest's heal policy: .qcdeploy.yaml's heal, the Environment's, the deployment's own."""
    from qcdeploy.manifests.repofile import repo_settings
    from qcdeploy.planning.heal import policy_from

    path, raw = repo_settings()
    base: list[tuple[str, object]] = [(path or ".qcdeploy.yaml", raw.get("heal"))]
    env = app.environment
    if env is not None:
        base.append((f"{env.doc.file} (environment {env.name})", env.spec.get("heal")))
    return {
        m.name: policy_from([*base, (str(m.where("heal")) if "heal" in m.spec else m.name, m.spec.get("heal"))])
        for m in run.manifests
    }


def _events(report: PassReport, app: App) -> list[Event]:
    from qcdeploy.planning.watch import events

    return events(report.survey, app.env or "", report.at.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _write_phase(
    app: App, options: WatchOptions, first: PassReport, targets: list[Target], clock: Callable[[], datetime]
) -> None:
    """Under the lock: plan again (someone may have acted since the first read), heal, sync, notify."""
    from qcdeploy.errors import ConfigError, ProblemsError
    from qcdeploy.ledger import lock
    from qcdeploy.ledger.backends.base import LockHeld

    try:
        with lock.held(app.backend(), "watch", 0.0, app.err, app.env):
            # `app` itself: the backend object that holds the lock writes (a git backend keeps its checkout)
            try:
                again = _observe(app, options, clock(), require_secrets=bool(first.survey.acting()))
            except (ConfigError, ProblemsError) as exc:  # a secret heals need is not set here: report, not heal
                first.notes.append("not healing or syncing: " + "; ".join(exc.lines()).removeprefix("Error: "))
                again = first
                again.survey = replace(again.survey, decisions=tuple(_report_only(again.survey.decisions)))
            first.survey, first.run, first.policies = again.survey, again.run, again.policies
            apply_events = [_carry_out(app, options, d, first) for d in first.survey.acting()]
            if any(h.results for h in first.healed):  # the board and metrics show the fleet as the pass left it
                first.run = _observe(app, options, clock(), require_secrets=False).run
            _notify(app, first, targets, [e for batch in apply_events for e in batch])
    except LockHeld as exc:
        first.notes.append(f"not healing or notifying this pass: {exc}")


def _report_only(decisions: Sequence[Decision]) -> list[Decision]:
    from qcdeploy.planning.watch import Act

    return [replace(d, act=Act.REPORT) if d.act in (Act.HEAL, Act.SYNC) else d for d in decisions]


def _carry_out(app: App, options: WatchOptions, decision: Decision, report: PassReport) -> list[Event]:
    """One heal or sync: an apply of that one change, every gate checked; recorded in the ledger's history."""
    from qcdeploy.apply.events import from_results
    from qcdeploy.apply.run import apply_plan
    from qcdeploy.model import Plan
    from qcdeploy.planning.watch import Act

    assert decision.change is not None
    healing = decision.act is Act.HEAL
    plan = Plan((decision.change,), environment=app.env or "")
    ctx = _context(app, report.run, options)
    try:
        applied = apply_plan(plan, report.run.state, _gates(app, plan, report, healing), ctx, lambda: None, app.err)
    except PlanRefused as exc:  # a gate said no: nothing was tried, so no restart is counted
        report.healed.append(Healed(decision, "held", str(exc)))
        return []
    except QcdeployError as exc:
        report.healed.append(Healed(decision, "failed", str(exc)))
        _record(ctx, decision, "heal-failed" if healing else "sync-failed", None)
        return []
    results = applied.results
    outcome = ("healed" if healing else "synced") if applied.ok else "failed"
    report.healed.append(Healed(decision, outcome, "; ".join(r.detail for r in results if r.detail), results))
    if outcome == "failed":
        outcome = "heal-failed" if healing else "sync-failed"
    _record(ctx, decision, outcome, next((r.deploy_id for r in results if r.deploy_id), None))
    return from_results(results, app.env or "", ctx.stamp(), done="healed" if healing else "applied")


def _gates(app: App, plan: Plan, report: PassReport, healing: bool) -> Gates:
    """Apply's gates for this one change; heal.duringClosedWindows lets a heal (never a sync) pass a closed window."""
    from qcdeploy.apply.run import Gates, Promotion, Window
    from qcdeploy.planning.heal import HealPolicy

    name = plan.changes[0].name
    _, closed, next_open = app.change_window()
    if healing and report.policies.get(name, HealPolicy()).during_closed_windows:
        closed = ""
    gate, missing, notes = app.promotion(plan, report.run.state)
    return Gates(window=Window(closed, next_open), promotion=Promotion(gate, tuple(missing), tuple(notes)))


def _record(ctx: Context, decision: Decision, event: str, new_id: str | None) -> None:
    """The heal or sync in the ledger's history: what it answered, what it replaced, what it made."""
    assert decision.change is not None
    f = decision.finding
    ctx.ledger.note(
        {
            "at": ctx.stamp(),
            "event": event,
            "name": decision.change.name,
            "reason": scrub(f"{f.kind}: {f.detail}"),  # an error text from the API may echo what was sent
            "from": f.deploy_id,
            "deployId": new_id,
        }
    )


def _context(app: App, run: PlanRun, options: WatchOptions) -> Context:
    from qcdeploy.apply.context import ApplyOptions, Context
    from qcdeploy.apply.executor import line_logger
    from qcdeploy.apply.waiting import Poller

    poll = poll_interval(app.environ)
    poller = Poller(poll, max(poll, 10 * poll), progress_every=max(30.0, poll))
    baseline = {pid: dep.deploy_id for pid, dep in run.state.deployments.items()}
    apply_options = ApplyOptions(True, options.timeout, 1, options.health_window, True, None, app.env or "")
    return Context(app.api(), run.ledger, poller, line_logger(app.progress), apply_options, app.environ, baseline)


def _notify(app: App, report: PassReport, to: list[Target], extra: list[Event]) -> None:
    report.notes += notifying.send([*_events(report, app), *extra], to, report.run.ledger)
