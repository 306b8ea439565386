"""Preflight: before the first stop of an apply, everything each create needs is built and checked."""

from __future__ import annotations

from qcdeploy.apply import body, rollback
from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Result, StepFailed
from qcdeploy.model import Action


def preflight_step(ctx: Context, r: Result) -> None:
    """Build the exact create body and refuse, with every reason, what live/create would refuse.

    A change that fails here keeps its old deployment untouched, as a BuildError does.
    """
    d = r.change.desired
    assert d is not None and r.compile_id is not None
    try:
        built = body.create_body(d.fields, r.compile_id, d.project.lean_version)
    except (KeyError, TypeError, AttributeError) as exc:
        message = f"preflight: cannot build the create body ({exc!r}); nothing was stopped"
        raise StepFailed(message, lasting=True) from None  # the manifest needs a fix: a re-run builds the same
    found = body.problems(built)
    found += [f"secret {path} is set but empty" for path in body.empty_secrets(built, d.manifest.sensitive)]
    if found:
        raise StepFailed("preflight: " + "; ".join(found) + "; nothing was stopped", lasting=True)
    r.body = built
    if r.change.action is Action.REPLACE and ctx.options.rollback:
        _warn_if_no_rollback(ctx, r)


def _warn_if_no_rollback(ctx: Context, r: Result) -> None:
    """Say before the stop, not after, when a failed replace could not be undone."""
    if r.change.entry is None:
        ctx.log(r.change.name, f"note: if the new deployment fails it cannot be rolled back ({rollback.NOT_OURS})")
        return
    old, note = rollback.previous_body(r.change.entry, ctx.environ, ctx.ledger.salt)  # only whether it can be built
    if old is None:
        ctx.log(r.change.name, f"note: if the new deployment fails it cannot be rolled back ({note})")
    elif note:
        ctx.log(r.change.name, f"note: if the new deployment fails, a rollback uses current secrets ({note})")
