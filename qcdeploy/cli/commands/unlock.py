"""`qcdeploy force-unlock ID`: remove a lock left by a run that died."""

from __future__ import annotations

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App


@click.command("force-unlock")
@click.argument("lock_id")
@env_option
@click.pass_obj
def force_unlock(app: App, lock_id: str) -> int:
    """Remove the ledger's lock LOCK_ID (shown by the apply that found it). Only when its holder is dead.

    With --env NAME, the lock on that environment's ledger."""
    from qcdeploy.ledger.backends.base import describe_lock

    holder = app.backend().force_unlock(lock_id)
    app.out(f"Removed the lock {lock_id} on {app.backend().describe()}: {describe_lock(holder)}")
    return 0
