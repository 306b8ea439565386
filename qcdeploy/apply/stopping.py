"""Stop step: stop (or liquidate) exactly the planned deployment, and make sure the stop took."""

from __future__ import annotations

from qcdeploy.apply import journaling
from qcdeploy.apply.context import Context
from qcdeploy.apply.creating import set_parameters
from qcdeploy.apply.draining import drain
from qcdeploy.apply.outcome import Abandoned, Interrupted, Outcome, Result, StepFailed
from qcdeploy.errors import ApiError, LedgerError
from qcdeploy.model import LiveDeployment
from qcdeploy.planning.exposure import carries_portfolio, create_settings
from qcdeploy.planning.exposure import read as read_exposure
from qcdeploy.quantconnect.transport import AmbiguousWrite
from qcdeploy.render.stake import brief


def stop_step(ctx: Context, r: Result) -> None:
    c = r.change
    assert c.observed is not None
    pid, planned = c.observed.project_id, c.observed.deploy_id
    current = ctx.read(pid)
    if current.deploy_id != planned:
        raise StepFailed(f"project {pid} now runs {current.deploy_id}, not {planned} as planned; nothing was stopped")
    if current.active:
        _parameters_first(ctx, r)
        try:  # nothing is stopped if these fail: the parameters go back
            drain(ctx, r, pid)  # beforeStop: the algorithm is told first (apply/draining.py)
            if carries_portfolio(c):  # after the drain: the portfolio it left
                _carry_portfolio(ctx, r, pid)
            if c.creates:  # a replace: the journal first, so that a death from here on leaves a trace
                journaling.before_stop(ctx, r, planned)
        except (StepFailed, Interrupted):
            parameters_back(ctx, r)
            raise
        verb = "liquidate" if c.liquidate else "stop"
        ctx.log(c.name, f"{verb} {planned} (project {pid})")
        r.stopped = True  # from the moment it is sent, the strategy may be down
        try:
            final = _stop_until_inactive(ctx, r, pid, planned)
        except (ApiError, StepFailed) as exc:
            try:
                final = _after_failed_stop(ctx, r, pid, planned, exc)
            except StepFailed:
                parameters_back(ctx, r)
                raise
        if final is None and not c.creates:  # a replace goes on: its create is refused while the old one runs
            raise StepFailed(
                f"the stop of {planned} could not be confirmed (its state cannot be read); it may still run"
            )
        ctx.log(c.name, f"{planned} is {final.status}" if final else f"{planned}: the stop could not be confirmed")
    r.stopped = True
    if r.journal is not None:
        journaling.after_stop(ctx, r)
    elif c.entry is not None:
        _forget(ctx, r)
    if not c.creates:
        r.outcome, r.detail = Outcome.DONE, f"{planned} {'liquidated' if c.liquidate else 'stopped'}"


def _parameters_first(ctx: Context, r: Result) -> None:
    """A replace sets its project's parameters before the stop: the running deployment read them when it started
    and never reads them again, so setting them early changes nothing that trades, and an update the API refuses
    (it raises here) stops nothing."""
    d = r.change.desired
    if d is None or r.body is None:
        return
    try:
        modified = set_parameters(ctx, r.change.name, d.project.project_id, d.project.parameters, r.body["parameters"])
    except ApiError as exc:
        raise StepFailed(f"the project's parameters could not be set ({exc}); nothing was stopped") from None
    r.project_modified, r.parameters_set = modified or r.project_modified, True


def parameters_back(ctx: Context, r: Result) -> None:
    """The stop did not happen, so the change does not go ahead: the project gets back the parameters it had,
    so that a restart by anyone else runs what ran before. Failing that is said, never raised over the cause."""
    d = r.change.desired
    if d is None or r.body is None or not r.parameters_set:
        return
    r.parameters_set = False
    try:
        set_parameters(ctx, r.change.name, d.project.project_id, r.body["parameters"], d.project.parameters)
    except ApiError as exc:
        ctx.log(r.change.name, f"could not set the project's parameters back ({exc}); the next plan shows them")


def _carry_portfolio(ctx: Context, r: Result, pid: int) -> None:
    """A paper replace: the portfolio as it is just before the stop goes into the new create (and a rollback).
    One that cannot be read (now or at plan time) stops nothing: set cash/holdings in the manifest instead."""
    exposure = read_exposure(ctx.api, pid)
    if exposure.unknown and r.change.exposure is not None and not r.change.exposure.unknown:
        ctx.log(r.change.name, f"{exposure.unknown}; carrying the portfolio the plan read")
        exposure = r.change.exposure
    if exposure.unknown:
        raise StepFailed(
            f"the paper portfolio to carry into the new deployment is unknown ({exposure.unknown}); nothing was "
            "stopped. Set brokerage cash/holdings in the manifest to deploy without it"
        )
    r.carried = create_settings(exposure)
    assert r.body is not None
    r.body["brokerage"] = {**r.body["brokerage"], **r.carried}
    ctx.log(r.change.name, f"carrying the paper portfolio: {brief(exposure)}")


def _forget(ctx: Context, r: Result) -> None:
    """The stopped deployment leaves the ledger (else a death before the create reads as "stopped outside").
    For a replace a ledger that cannot be written must not stop the create: it records the new one anyway."""
    assert r.change.entry is not None
    try:
        ctx.ledger.remove(r.change.entry.name)
    except LedgerError as exc:
        if not r.change.creates:
            raise
        ctx.log(r.change.name, f"{exc}; going on with the create")


def _after_failed_stop(ctx: Context, r: Result, pid: int, planned: str, exc: Exception) -> LiveDeployment | None:
    """A stop step that failed after sending: still running means nothing changed; otherwise go on."""
    now = ctx.read_or_none(pid)
    if now is not None and now.active and now.deploy_id == planned:
        r.stopped = False
        raise StepFailed(f"{exc}; {planned} is still {now.status}") from None
    ctx.log(r.change.name, f"{exc}; {planned} may be down, so the change goes on")
    return now


def _stop_until_inactive(ctx: Context, r: Result, pid: int, planned: str) -> LiveDeployment | None:
    """Send the stop; while its answer is lost and nothing moves, send it again, to the same deployment only.

    Once a stop may have landed, the strategy may be down: a read that fails is "not known yet", never a
    reason to give up on the change (a replace then goes on to its create, which the API refuses while the
    old deployment still runs). None: the state could not be read before the deadline.
    """

    def gone(d: LiveDeployment | None) -> bool:
        return d is not None and (not d.active or d.deploy_id != planned)

    clock = ctx.poller.clock
    deadline = clock() + ctx.timeout
    grace = max(10 * ctx.poller.interval, 5.0)
    confirmed = _send_stop(ctx, r, pid)
    while True:
        left = deadline - clock()
        window = left if confirmed else min(grace, left)
        with ctx.board.waiting():
            final, finished = ctx.poller.until(
                lambda: ctx.board.status(pid, planned),
                gone,
                window,
                ctx.progress(r, "the stop"),
                cancellable=False,
                first=min(ctx.poller.interval, window),  # no stop takes effect at once
            )
        if ctx.poller.abandon.is_set() and not finished:
            raise Abandoned(f"stopped waiting for the stop of {planned} (interrupted again); it may be down")
        if finished or (final is None and clock() >= deadline):
            return final
        if clock() >= deadline:
            assert final is not None
            raise StepFailed(f"{planned} still {final.status} {ctx.timeout:g}s after the stop was sent")
        if final is not None:
            ctx.log(r.change.name, f"no sign of the stop yet; sending it again to {planned}")
            confirmed = _send_stop(ctx, r, pid)


def _send_stop(ctx: Context, r: Result, pid: int) -> bool:
    """True when the API confirmed it; False when the answer was lost (it may have landed)."""
    try:
        ctx.api.live_stop(pid, r.change.liquidate)
        return True
    except AmbiguousWrite as exc:
        ctx.log(r.change.name, f"{exc}; checking the deployment's status")
        return False
    except ApiError:
        now = ctx.read_or_none(pid)
        if now is None or now.active:  # "not running" after a lost first answer means it worked
            raise
        return True
