"""`qcdeploy doctor`: check credentials, clock, organization, manifests and nodes against the API; read-only."""

from __future__ import annotations

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@env_option
@click.pass_obj
def doctor(app: App, paths: tuple[str, ...]) -> int:
    """Check the account behind QC_USER_ID/QC_API_TOKEN against the manifests under PATHs; changes nothing.

    Credentials, clock skew, organization, API round trip, then for each manifest its project, node,
    brokerage, LEAN version and project parameters, and the free live nodes. Secrets need not be set.
    """
    from qcdeploy.errors import ProblemsError
    from qcdeploy.manifests import load as manifests_mod
    from qcdeploy.planning import doctor as checks

    loaded = manifests_mod.load(list(paths), app.environ, app.env, require_secrets=False)
    if loaded.problems:
        raise ProblemsError(loaded.problems)
    report = checks.run(app.api(), app.settings.organization_id, loaded.manifests, app.environ)
    app.out(checks.table(report), nl=False)
    failed = [c for c in report if not c.ok]
    app.out(f"{len(failed)} problem(s) found." if failed else "Everything checked is ready.")
    return 1 if failed else 0
