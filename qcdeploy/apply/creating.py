"""Create step: project parameters, one live/create (never two), the ledger record, then watch it come up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcdeploy.apply import ending, evidence, journaling, reconcile
from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Outcome, Result, StepFailed
from qcdeploy.errors import ApiError, LedgerError
from qcdeploy.model import LedgerEntry, LiveDeployment, command
from qcdeploy.planning.fingerprint import entry_for
from qcdeploy.quantconnect import decode as live
from qcdeploy.quantconnect.transport import AmbiguousWrite


class CreateFailed(StepFailed):
    """The new deployment was refused, or did not come up and stay up."""


class CreateUnclear(CreateFailed):
    """live/create was sent and whether it took effect cannot be told: the journal keeps the change."""


class Unrecorded(StepFailed):
    """The new deployment is live, and the ledger could not record it: it runs, so it is never rolled back."""


def create_step(ctx: Context, r: Result) -> None:
    d = r.change.desired
    assert d is not None and r.body is not None
    pid = d.project.project_id
    if not r.parameters_set:  # a replace set them before its stop: no second read, no second failure point
        modified = set_parameters(ctx, r.change.name, pid, d.project.parameters, r.body["parameters"])
        r.project_modified = modified or r.project_modified
    ctx.log(d.name, f"deploying project {pid} on node {d.node.name or d.node.id}")
    journaling.before_create(ctx, r, ctx.baseline.get(pid))
    try:
        r.deploy_id = launch(ctx, r.change.name, pid, r.body, ctx.baseline.get(pid))
    except reconcile.ForeignDeployment:
        journaling.not_ours(ctx, r)  # a known end, said loudly: the next plan lists theirs as unmanaged
        raise
    except CreateUnclear:
        r.unclear = True  # not a known end: the next plan records what it finds newer than the baseline
        raise
    ctx.log(d.name, f"live/create answered: {r.deploy_id}")
    try:
        journaling.recorded(ctx, r, _entry(ctx, r, r.deploy_id))
    except LedgerError as exc:
        raise Unrecorded(
            f"DEPLOYED {r.deploy_id}, BUT IT IS NOT RECORDED: {exc}. The deployment is live; once the ledger can be "
            f"written, run `{command(f'adopt {d.name}', ctx.options.environment)}` (the next plan lists it as "
            "unmanaged until then)"
        ) from None
    if ctx.options.wait and not ctx.poller.cancel.is_set():
        try:
            r.detail = watch(ctx, r.change.name, pid, r.deploy_id, 0)
        except CreateFailed:
            evidence.attach_logs(ctx, r, pid, r.deploy_id)  # the algorithm's own why, before any rollback
            raise
        # the health window is watched apart (health_step): a deployment that runs holds no parallelism slot
        r.window_due = ctx.options.health_window > 0 and not ctx.poller.cancel.is_set()
    elif ctx.options.wait:  # interrupted: sent, and not watched; say so rather than a plain "deployed"
        r.detail = (
            f"deployed {r.deploy_id}, NOT YET SEEN RUNNING: the apply was interrupted before it could watch it "
            "(`qcdeploy status` shows how it came up; the next plan redeploys it if it failed)"
        )
    else:
        r.detail = f"deployed {r.deploy_id} (not waiting until it runs)"
    r.outcome = Outcome.DONE


def set_parameters(ctx: Context, name: str, pid: int, current: Mapping[str, str], wanted: Mapping[str, str]) -> str:
    """Parameters are project variables, read when a deployment starts (qc-api §7): set them first.

    `current` is what the plan read: equal to `wanted`, nothing is sent. Otherwise the project is read again,
    for its name as it is now (projects/update carries it, as the lean CLI sends it: a stale name would undo a
    rename) and its parameters (already set, by an earlier step of the same change: nothing is sent).
    Returns the project's `modified` after the update ("" when nothing was changed), so that qcdeploy's own
    update never reads as a code change.
    """
    if dict(current) == dict(wanted):
        return ""
    now = live.project(ctx.api.project(pid))
    if dict(now.parameters) == dict(wanted):
        return ""
    ctx.api.set_parameters(pid, now.name, wanted)
    ctx.log(name, f"project {pid} parameters set ({len(wanted)})")
    return str(ctx.api.project(pid).get("modified") or "")


def launch(ctx: Context, name: str, pid: int, body: Mapping[str, Any], baseline: str | None) -> str:
    """At most one deployment per create: after an unclear answer, look before sending again.

    A deployment of the project other than `baseline` (the newest one before the create was sent) is ours,
    whatever its status, when what the API reports of it matches what was sent (apply/reconcile.py): a new
    deployment that crashed at once is reported, never created a second time; another tool's is never claimed.
    """
    sent_at = reconcile.server_time(ctx.api.client.server_date)  # the API's clock, before the first send
    for attempt in range(3):
        if attempt:
            known, found = reconcile.look(ctx, pid, baseline)
            if found is not None:
                return reconcile.claim(ctx, name, body, found, sent_at)
            if not known:  # never a second create on a guess: look again, or give up without sending
                ctx.log(name, "cannot tell whether it was deployed (the read failed); not sending it again yet")
                continue
            ctx.log(name, "it was not deployed; sending it again")
        try:
            answer = ctx.api.live_create(body)
        except AmbiguousWrite as exc:
            ctx.log(name, f"{exc}; checking whether it was deployed")
            continue
        except ApiError as exc:
            if attempt == 0:
                raise CreateFailed(str(exc)) from None
            continue  # e.g. "already has an active deployment": the next look tells
        deploy_id = deploy_id_of(answer)
        if not deploy_id:
            raise CreateFailed("live/create returned no deployId")
        return deploy_id
    _, found = reconcile.look(ctx, pid, baseline)
    if found is not None:
        return reconcile.claim(ctx, name, body, found, sent_at)
    raise CreateUnclear("could not tell whether live/create took effect; run plan to see the project's state")


def watch(ctx: Context, name: str, pid: int, deploy_id: str, health_window: float) -> str:
    """Wait until the deployment runs, then watch it for health_window seconds; CreateFailed if it does not."""
    seen: list[str] = []
    waiting_at = [0.0]  # when it was last seen not yet Running, in seconds after the create

    def probe() -> LiveDeployment | None:
        asked = ctx.poller.clock() - sent
        dep = ctx.board.status(pid, deploy_id)  # a failed read is "not known yet", not a failed deployment
        if dep is not None and dep.active and dep.status != "Running":
            waiting_at[0] = asked
        if dep is not None and (not seen or seen[-1] != dep.status):
            seen.append(dep.status)
            ctx.log(name, f"{deploy_id} {dep.status}")
        return dep

    def settled(d: LiveDeployment | None) -> bool:
        return d is not None and (d.status == "Running" or not d.active)

    sent, learned = ctx.poller.clock(), ctx.starts.first_poll()
    with ctx.board.waiting():
        final, finished = ctx.poller.until(
            probe,
            settled,
            ctx.timeout,
            lambda s: ctx.log(name, f"waiting ({s:.0f}s)"),
            first=learned or ctx.poller.interval,  # nothing starts at once: no read before then
            then=min(ctx.poller.interval, learned / 9) if learned else None,
            # while several deployments wait, a read is one shared live/list: keep the interval, do not stretch it
            growth=lambda: 1.0 if ctx.board.shared() else 1.5,
        )
        if final is not None and final.status == "Running":
            # it started between the last read that saw it waiting and the first that saw it run
            ctx.starts.record((waiting_at[0] + ctx.poller.clock() - sent) / 2)
            return _healthy(ctx, name, deploy_id, probe, health_window)
    if not finished and ctx.poller.cancel.is_set():
        return f"deployed {deploy_id} ({final.status if final else 'status unknown'}; stopped waiting)"
    if not finished:
        status = final.status if final is not None else "in an unknown state (its status could not be read)"
        raise CreateFailed(f"{deploy_id} still {status} after {ctx.timeout:g}s")
    assert final is not None
    outside = ending.stopped_outside(deploy_id, final, "before it ran")
    if outside is not None:
        raise outside
    raise CreateFailed(f"{deploy_id} ended in {final.status}: {final.error or 'no error message'}")


def health_step(ctx: Context, r: Result) -> None:
    """The health window of a new deployment that runs: CreateFailed if it ends within it. Windows run side by
    side, outside --parallelism's slots, and one live/list read (the status board) answers all of them."""
    if not r.window_due or r.deploy_id is None:
        return
    r.window_due = False
    d = r.change.desired
    assert d is not None
    pid, deploy_id, seen = d.project.project_id, r.deploy_id, ["Running"]

    def probe() -> LiveDeployment | None:
        dep = ctx.board.status(pid, deploy_id)
        if dep is not None and seen[-1] != dep.status:
            seen.append(dep.status)
            ctx.log(r.change.name, f"{deploy_id} {dep.status}")
        return dep

    with ctx.board.waiting():
        try:
            r.detail = _healthy(ctx, r.change.name, deploy_id, probe, ctx.options.health_window)
        except CreateFailed:
            evidence.attach_logs(ctx, r, pid, deploy_id)  # the algorithm's own why, before any rollback
            raise


def _healthy(ctx: Context, name: str, deploy_id: str, probe: Any, window: float) -> str:
    if window <= 0 or ctx.poller.cancel.is_set():
        return f"{deploy_id} Running"
    ctx.log(name, f"{deploy_id} is Running; watching it for {window:g}s")
    final, ended = ctx.poller.until(probe, lambda d: d is not None and not d.active, window)
    if ended:
        assert final is not None
        outside = ending.stopped_outside(deploy_id, final, "during the health window")
        if outside is not None:
            raise outside
        raise CreateFailed(f"{deploy_id} ended in {final.status} within {window:g}s of Running: {final.error or '-'}")
    return f"{deploy_id} Running"


def _entry(ctx: Context, r: Result, deploy_id: str) -> LedgerEntry:
    d = r.change.desired
    assert d is not None
    return entry_for(d, deploy_id, ctx.ledger.salt, r.compile_id, r.project_modified, ctx.stamp(), r.code_hash)


def deploy_id_of(answer: Mapping[str, Any]) -> str:
    """live/create answers deployId at the top; some answers only carry it inside `live`."""
    nested = answer.get("live")
    return str(answer.get("deployId") or (nested.get("deployId") if isinstance(nested, dict) else "") or "")
