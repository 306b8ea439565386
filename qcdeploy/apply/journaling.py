"""Apply's side of the journal (ledger/journal.py): each create and replace writes where it is before every step
that cannot be undone, so that a run that dies leaves a trace the next plan reads (docs/design.md's table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Outcome, Result, StepFailed
from qcdeploy.errors import LedgerError
from qcdeploy.ledger.journal import CREATING, FLAT, STOPPED, STOPPING, WATCHING, JournalEntry, who_and_run
from qcdeploy.model import LedgerEntry, Plan
from qcdeploy.planning.fingerprint import entry_for


def _target(ctx: Context, r: Result) -> LedgerEntry:
    """What the ledger will record once the create is sent (the project's `modified` after qcdeploy's own update)."""
    d = r.change.desired
    assert d is not None
    return entry_for(d, "", ctx.ledger.salt, r.compile_id, r.project_modified, ctx.stamp(), r.code_hash)


def _new(ctx: Context, r: Result, step: str, **fields: str) -> JournalEntry:
    c = r.change
    assert c.desired is not None
    stamp = ctx.stamp()
    target = _target(ctx, r)
    who, run = who_and_run()
    return JournalEntry(
        name=c.name,
        action=c.action.value,
        project_id=c.desired.project.project_id,
        step=step,
        at=stamp,
        target=target,
        old=c.entry,
        who=who,
        ci_run=run,
        **fields,
    )


def before_stop(ctx: Context, r: Result, planned: str) -> None:
    """A replace is about to stop `planned`: no journal, no stop."""
    j = _new(ctx, r, STOPPING, stopping=planned)
    try:
        ctx.ledger.begin(j)
    except LedgerError as exc:
        raise StepFailed(f"cannot write the journal before the stop ({exc}); nothing was stopped") from None
    r.journal = j


def after_stop(ctx: Context, r: Result) -> None:
    """The old deployment has stopped: it leaves the ledger, and the journal says the strategy is down, in one write.
    A ledger that cannot be written must not stop the create: the create records the new deployment anyway."""
    assert r.journal is not None
    j = r.journal.at_step(STOPPED, ctx.stamp())
    try:
        ctx.ledger.begin(j, forget=r.change.entry is not None)
    except LedgerError as exc:
        ctx.log(r.change.name, f"{exc}; going on with the create")
    r.journal = j


def before_create(ctx: Context, r: Result, baseline: str | None) -> None:
    """live/create is about to be sent: a deployment newer than `baseline` will be this one. A plain create whose
    journal cannot be written is not sent; a replace whose old deployment is gone goes on (never flat for it)."""
    j = r.journal or _new(ctx, r, CREATING)
    j = replace(j.at_step(CREATING, ctx.stamp(), baseline=baseline or ""), target=_target(ctx, r))
    try:
        ctx.ledger.begin(j)
    except LedgerError as exc:
        if not r.stopped:
            raise StepFailed(f"cannot write the journal before the create ({exc}); nothing was deployed") from None
        ctx.log(r.change.name, f"{exc}; going on with the create")
    r.journal = j


def before_rollback(ctx: Context, r: Result, old: LedgerEntry, baseline: str | None) -> None:
    """A rollback's live/create is about to be sent: its target is what ran before, so a run that dies now leaves
    the next plan a deployment to record with the old spec (and the manifest's change still to make)."""
    j = r.journal or _new(ctx, r, CREATING)
    j = replace(
        j.at_step(CREATING, ctx.stamp(), baseline=baseline or "", deploy_id=""), target=replace(old, deploy_id="")
    )
    try:
        ctx.ledger.begin(j)
    except LedgerError as exc:  # the strategy is down: a ledger that cannot be written never holds a rollback back
        ctx.log(r.change.name, f"{exc}; rolling back anyway")
    r.journal = j


def not_ours(ctx: Context, r: Result) -> None:
    """The deployment that appeared after an unclear create is another tool's: the change ended, and its journal
    entry goes (the next plan must not take theirs for the create this run sent)."""
    if r.journal is None:
        return
    try:
        ctx.ledger.settle([r.change.name])
    except LedgerError as exc:
        ctx.log(r.change.name, f"the journal could not be cleared ({exc})")
        return
    r.journal = None


def recorded(ctx: Context, r: Result, entry: LedgerEntry) -> None:
    """The new deployment enters the ledger and the journal moves on to watching it, in one write."""
    j = r.journal.at_step(WATCHING, ctx.stamp(), deploy_id=entry.deploy_id) if r.journal else None
    if j is None:
        ctx.ledger.put(entry)
        return
    ctx.ledger.begin(j, record=entry)
    r.journal = j


def settle(ctx: Context, results: Sequence[Result], abandoned: bool) -> None:
    """At the end of the run: a change that reached a known end leaves the journal; one left FLAT stays, saying
    so; after a second interrupt a change still in flight stays as it is, for the next run to finish."""
    done, flat = [], []
    for r in results:
        if r.journal is None:
            continue
        if abandoned and r.outcome not in (Outcome.DONE, Outcome.ROLLED_BACK):
            continue  # the step it was at is the truth the next plan needs
        if r.flat:
            flat.append(r.journal.at_step(FLAT, ctx.stamp(), flat=r.flat))
        elif _known_end(r):
            done.append(r.change.name)
        # else: a create was sent and not recorded, or a stop may have landed: the next plan decides from the
        # live state, as after a death
    if not done and not flat:
        return
    try:
        ctx.ledger.settle(done, flat)
    except LedgerError as exc:
        ctx.log(
            ", ".join(done + [j.name for j in flat]),
            f"the journal could not be cleared ({exc}); the next plan names these changes as interrupted",
        )


def _known_end(r: Result) -> bool:
    """Done or rolled back; recorded in the ledger; or nothing irreversible was sent (the old deployment runs, and
    no create was sent that may have taken effect)."""
    assert r.journal is not None
    if r.outcome in (Outcome.DONE, Outcome.ROLLED_BACK) or r.journal.step == WATCHING:
        return True
    return not (r.deploy_id or r.stopped or r.unclear)


def settle_resumed(ctx: Context, plan: Plan, results: Sequence[Result]) -> None:
    """The journal entries the plan named as interrupted that this run settled: recorded by an update, or found
    with nothing left to do (the old deployment still runs, or the new one was already recorded)."""
    outcome = {r.change.name: r for r in results}
    done = []
    for i in plan.interrupted:
        r = outcome.get(i.name)
        if (r is None and i.settled) or (r is not None and r.journal is None and r.outcome is Outcome.DONE):
            done.append(i.name)
    if done:
        try:
            ctx.ledger.settle(done)
        except LedgerError as exc:
            ctx.log(", ".join(done), f"the journal could not be cleared ({exc})")
