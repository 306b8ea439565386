"""`qcdeploy export`: write manifests for a fleet that was deployed by hand, and optionally adopt it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qcdeploy.cli.commands.options import env_option
from qcdeploy.cli.workspace import App
from qcdeploy.errors import ConfigError

if TYPE_CHECKING:
    from qcdeploy.model import LedgerEntry, LiveState, Project


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="deployments", show_default=True)
@click.option("--project", "projects", multiple=True, metavar="ID|NAME", help="Only these projects (repeatable).")
@click.option("--adopt", "also_adopt", is_flag=True, help="Also record the exported deployments in the ledger.")
@click.option("--force", is_flag=True, help="Overwrite manifests that already exist.")
@click.option("--all", "include_managed", is_flag=True, help="Also deployments a manifest already manages.")
@env_option
@click.pass_obj
def export(
    app: App, out_dir: str, projects: tuple[str, ...], also_adopt: bool, force: bool, include_managed: bool
) -> int:
    """Write one manifest per active deployment, with ${env:…} placeholders where secrets go.

    Deployments the ledger already manages are left out (their manifests exist), unless --all.
    """
    from qcdeploy.planning.export import export_fleet
    from qcdeploy.quantconnect.decode import read_state

    app.need_env("export", [out_dir] if Path(out_dir).is_dir() else [])
    if also_adopt and app.env is not None:
        raise ConfigError(
            "export writes plain manifests, and an environment's deployments are a base manifest plus its overlay: "
            "export without --adopt, move each into the base and the overlay, then run "
            f"qcdeploy adopt --env {app.env} NAME. Nothing was written"
        )
    state = read_state(app.api(), app.settings.organization_id)
    ids = _project_ids(projects, state.projects) if projects else None
    entries = app.ledger().entries.values()
    managed = [] if include_managed else [e.project_id for e in entries if _running(state, e.project_id, e.deploy_id)]
    elsewhere = app.elsewhere()  # another environment's deployment is that environment's, never exported here
    managed += [pid for pid, d in state.deployments.items() if d.active and d.deploy_id in elsewhere]
    exported = export_fleet(state, ids, _secret_parameters(entries), managed)
    directory = Path(out_dir)
    targets = [directory / f"{e.name}.yaml" for e in exported]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise ConfigError(f"not overwriting {', '.join(existing)}; pass --force to replace them")
    directory.mkdir(parents=True, exist_ok=True)
    for e, target in zip(exported, targets, strict=True):
        target.write_text(e.text, "utf-8")
        needs = f" (set {', '.join(e.placeholders)})" if e.placeholders else ""
        app.out(f"wrote {target}: project {e.project_id}{needs}")
    app.out(f"Exported {len(exported)} deployment(s) to {directory}.")
    if also_adopt and exported:
        return _adopt(app, [str(t) for t in targets], [e.name for e in exported])
    return 0


def _running(state: LiveState, pid: int, deploy_id: str) -> bool:
    dep = state.deployments.get(pid)
    return dep is not None and dep.active and dep.deploy_id == deploy_id


def _secret_parameters(entries: Iterable[LedgerEntry]) -> dict[int, dict[str, str]]:
    """Per project, the parameters the ledger marks sensitive, with the `${env:…}` they were written as."""
    from qcdeploy.planning.fingerprint import is_sensitive

    found: dict[int, dict[str, str]] = {}
    for e in entries:
        refs = {path[-1]: ref for path, ref in e.refs if path[:1] == ("parameters",)}
        params = e.spec.get("parameters") or {}
        for key, value in params.items() if isinstance(params, dict) else ():
            if is_sensitive(value):
                found.setdefault(e.project_id, {})[str(key)] = refs.get(key, "")
    return found


def _project_ids(refs: tuple[str, ...], projects: Mapping[int, Project]) -> list[int]:
    ids = []
    for ref in refs:
        matches = [pid for pid, p in projects.items() if str(pid) == ref or p.name == ref]
        if not matches:
            raise ConfigError(f"--project {ref}: no such project in this account")
        ids.extend(matches)
    return ids


def _adopt(app: App, files: list[str], names: list[str]) -> int:
    missing = sorted({v for f in files for v in _placeholders(Path(f).read_text()) if v not in app.environ})
    if missing:
        raise ConfigError(
            f"exported, but not adopted: set {', '.join(missing)} (the secrets the deployments were started with), "
            f"then run: qcdeploy adopt {' '.join(files)} {' '.join(names)}"
        )
    return app_adopt(app, files, names)


def _placeholders(text: str) -> list[str]:
    from qcdeploy.manifests.envref import substitute

    return substitute(text, {}).names


def app_adopt(app: App, files: list[str], names: list[str]) -> int:
    from qcdeploy.cli.commands.adopt import adopt_manifests

    manifests = app.load(files)
    return adopt_manifests(app, [m for m in manifests if m.name in names])
