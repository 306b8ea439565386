"""Rollback: a replace whose new deployment did not come up redeploys what ran before, from the ledger.

The ledger holds the old spec with secrets as salted hashes, plus where each secret came from (`${env:NAME}`),
so the old create body is rebuilt with the secrets read from the environment again. What cannot be rebuilt
(a deployment qcdeploy did not start, a secret no longer set) leaves the strategy FLAT, and the summary says so
first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from qcdeploy.apply import journaling
from qcdeploy.apply.body import create_body
from qcdeploy.apply.context import Context
from qcdeploy.apply.creating import launch, set_parameters, watch
from qcdeploy.apply.outcome import Abandoned, Outcome, Result, StepFailed
from qcdeploy.apply.stopping import parameters_back
from qcdeploy.errors import QcdeployError
from qcdeploy.manifests.envref import substitute
from qcdeploy.model import LedgerEntry, LiveDeployment, dotted
from qcdeploy.planning.fingerprint import SENSITIVE_KEY, entry_salt, is_sensitive, masked, matches

NOT_OURS = "qcdeploy did not start the deployment it replaces, so there is no recorded spec to go back to"


def previous_body(
    entry: LedgerEntry, environ: Mapping[str, str], salt: str, lean_version: str = ""
) -> tuple[dict[str, Any] | None, str]:
    """The create body of what ran before, and a note; or None and why it cannot be rebuilt."""
    if not entry.compile_id:
        return None, "the ledger does not say which compile it ran"
    fields = dict(entry.spec)  # masked() copies what it replaces: the ledger's entry is never written to
    refs, notes = dict(entry.refs), []
    for path, leaf in list(_sensitive_leaves(fields, ())):
        ref = refs.get(path)
        if ref is None:
            return None, f"the ledger does not say where the secret at {dotted(path)} came from"
        sub = substitute(ref, environ)
        if sub.missing or sub.invalid:
            return None, f"{', '.join(sub.missing or sub.invalid)} is not set"
        if not matches(sub.value, entry_salt(entry, salt), leaf[SENSITIVE_KEY]):
            notes.append(f"{', '.join(sub.names)} has changed since it ran")
        fields = masked(fields, [path], sub.value)
    return create_body(fields, entry.compile_id, lean_version), "; ".join(notes)


def rollback_step(ctx: Context, r: Result, why: str) -> None:
    """After a failed create of a replace: make sure something runs for the strategy, or say FLAT. Every way out
    decides: an error in any step of the rollback (stopping the stuck new deployment, a read, the create) is
    followed by one more read, and nothing active there is FLAT."""
    try:
        _roll_back(ctx, r, why)
    except Exception as exc:  # whatever failed, the strategy's state must be said
        error = str(exc) if isinstance(exc, QcdeployError) else f"unexpected {type(exc).__name__}: {exc}"
        _decide(ctx, r, why, error)


def _decide(ctx: Context, r: Result, why: str, error: str) -> None:
    assert r.change.desired is not None
    now = ctx.read_or_none(r.change.desired.project.project_id)
    if now is None:
        r.flat = f"its state cannot be read after: {why}; the rollback failed too: {error}"
    elif not now.active:
        r.flat = f"no deployment is running ({why}; the rollback failed too: {error})"
    else:
        r.detail = f"{why}; the rollback failed ({error}), and {now.deploy_id} is {now.status}"
        ctx.log(r.change.name, r.detail)


def _roll_back(ctx: Context, r: Result, why: str) -> None:
    c = r.change
    assert c.desired is not None
    new = ctx.read_or_none(c.desired.project.project_id)
    if new is None:
        r.flat = f"its state cannot be read after: {why}"
        return
    if new.active and not _stuck(ctx, r, new):
        if c.observed is not None and new.deploy_id == c.observed.deploy_id:
            parameters_back(ctx, r)  # the old deployment never stopped: it keeps the parameters it runs with
        return  # something runs: the old deployment never stopped, or the new one is up after all
    entry = c.entry
    if not ctx.options.rollback or entry is None:
        reason = "--no-rollback" if entry is not None else NOT_OURS
        r.flat = f"no deployment is running ({why}; not rolled back: {reason})"
        return
    body, note = previous_body(entry, ctx.environ, ctx.ledger.salt, c.desired.project.lean_version)
    if body is None:
        r.flat = f"no deployment is running ({why}; cannot roll back: {note})"
        return
    if r.carried:  # the paper portfolio goes back with what ran before, too
        body["brokerage"] = {**body["brokerage"], **r.carried}
    try:
        deploy_id = _redeploy(ctx, r, entry, body)
    except QcdeployError as exc:  # its create may have started something after all: read once more
        _decide(ctx, r, why, str(exc))
        return
    r.outcome, r.deploy_id = Outcome.ROLLED_BACK, deploy_id
    r.detail = f"to {entry.compile_id}: new deployment failed: {why}" + (f" ({note})" if note else "")


def _stuck(ctx: Context, r: Result, new: LiveDeployment) -> bool:
    """The new deployment is active but not healthy (a timeout): stop it so the old one can come back."""
    if new.deploy_id != r.deploy_id or new.status == "Running":
        return False
    ctx.log(r.change.name, f"stopping {new.deploy_id} ({new.status}) to roll back")
    ctx.api.live_stop(new.project_id)
    _, stopped = ctx.poller.until(
        lambda: ctx.read_or_none(new.project_id),
        lambda d: d is not None and not d.active,
        ctx.timeout,
        cancellable=False,
    )
    if ctx.poller.abandon.is_set():
        raise Abandoned(f"stopped waiting for the stop of {new.deploy_id} (interrupted again)")
    if not stopped:  # a create beside a deployment that may still come up would be a second one
        raise StepFailed(f"{new.deploy_id} was not seen stopped {ctx.timeout:g}s after its stop was sent")
    return True


def _redeploy(ctx: Context, r: Result, entry: LedgerEntry, body: dict[str, Any]) -> str:
    name, pid = r.change.name, entry.project_id
    ctx.log(name, f"rolling back: redeploying compile {entry.compile_id} with the spec it ran with")
    assert r.body is not None
    modified = set_parameters(ctx, name, pid, r.body["parameters"], body["parameters"])
    newest = ctx.read_or_none(pid)
    baseline = newest.deploy_id if newest is not None else None
    journaling.before_rollback(ctx, r, entry, baseline)
    deploy_id = launch(ctx, name, pid, body, baseline)
    back = replace(
        entry, deploy_id=deploy_id, applied_at=ctx.stamp(), project_modified=modified or entry.project_modified
    )
    journaling.recorded(ctx, r, back)
    watch(ctx, name, pid, deploy_id, 0)
    return deploy_id


def _sensitive_leaves(tree: Any, path: tuple[str | int, ...]) -> Any:
    if is_sensitive(tree):
        yield path, tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from _sensitive_leaves(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _sensitive_leaves(value, (*path, i))
