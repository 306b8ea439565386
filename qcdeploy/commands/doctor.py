"""`qcdeploy doctor`: check credentials, clock, organization, manifests and nodes against the API; read-only."""

from __future__ import annotations

from collections.abc import Mapping

import click

from qcdeploy.app import App
from qcdeploy.commands.options import env_option


class _Unset(dict[str, str]):
    """An environment in which every variable exists: doctor reports unset secrets instead of refusing."""

    def __init__(self, real: Mapping[str, str]) -> None:
        super().__init__(real)

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return ""


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@env_option
@click.pass_obj
def doctor(app: App, paths: tuple[str, ...]) -> int:
    """Check the account behind QC_USER_ID/QC_API_TOKEN against the manifests under PATHs; changes nothing.

    Credentials, clock skew, organization, API round trip, then for each manifest its project, node,
    brokerage, LEAN version and project parameters, and the free live nodes. Secrets need not be set.
    """
    from qcdeploy import doctor as checks
    from qcdeploy import manifest as manifests_mod
    from qcdeploy.errors import ProblemsError

    loaded = manifests_mod.load(list(paths), _Unset(app.environ), app.env)
    if loaded.problems:
        raise ProblemsError(loaded.problems)
    report = checks.run(app.api(), app.settings.organization_id, loaded.manifests, app.environ)
    app.out(checks.table(report), nl=False)
    failed = [c for c in report if not c.ok]
    app.out(f"{len(failed)} problem(s) found." if failed else "Everything checked is ready.")
    return 1 if failed else 0
