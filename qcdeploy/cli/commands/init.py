"""`qcdeploy init`: a starting manifest repository that validates as written."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import click

from qcdeploy.cli.workspace import App
from qcdeploy.errors import ConfigError

# template in qcdeploy/data/init -> where it goes in the new repository
FILES = {
    "settings.yaml": ".qcdeploy.yaml",
    "base.yaml": "deployments/base/{name}.yaml",
    "paper.yaml": "deployments/paper.yaml",
    "live.yaml": "deployments/live.yaml",
}
SCHEMAS = ("qcdeploy-v1.schema.json", "qcdeploy-environment-v1.schema.json")
WORKFLOWS = ("qcdeploy-plan.yml", "qcdeploy-apply.yml", "qcdeploy-drift.yml")  # copies of examples/github-workflows


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", default="my-strategy", show_default=True, help="The first deployment's name.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.pass_obj
def init(app: App, directory: str, name: str, force: bool) -> int:
    """Write a starting repository: settings, one base manifest, paper and live overlays, the JSON Schemas and
    the plan, apply and drift workflows."""
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name):
        raise ConfigError(f"--name {name!r}: use lowercase letters, digits and '-' (at most 63 characters)")
    root = Path(directory)
    data = resources.files("qcdeploy").joinpath("data")
    planned = {
        root / target.format(name=name): data.joinpath("init").joinpath(source).read_text("utf-8").replace("NAME", name)
        for source, target in FILES.items()
    }
    planned |= {root / "schemas" / s: data.joinpath(s).read_text("utf-8") for s in SCHEMAS}
    workflows = data.joinpath("init").joinpath("workflows")
    planned |= {root / ".github" / "workflows" / w: workflows.joinpath(w).read_text("utf-8") for w in WORKFLOWS}
    existing = [str(p) for p in planned if p.exists()]
    if existing and not force:
        raise ConfigError(f"not overwriting {', '.join(existing)}; pass --force to replace them. Nothing was written")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        app.out(f"wrote {path}")
    app.out(
        f"\nNext: set the projects, nodes and broker account in {root / 'deployments'} (paper.yaml, live.yaml),\n"
        f"and the qcdeploy action's pinned commit (your-org/qcdeploy@...) in {root / '.github' / 'workflows'}; then\n"
        f"  qcdeploy validate {root / 'deployments'}\n"
        f"  qcdeploy plan --env paper {root / 'deployments'}"
    )
    return 0
