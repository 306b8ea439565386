"""Manifests written from the live fleet: everything the API can tell, placeholders for secrets, and a
comment on every field it could not read."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import yaml

from qcdeploy.manifests.brokerages import BROKERAGES, DATA_PROVIDERS, is_secret_key, module_id
from qcdeploy.manifests.envref import substitute
from qcdeploy.model import LiveDeployment, LiveState, Project
from qcdeploy.quantconnect.decode import node_running, reported_providers


@dataclass(frozen=True)
class Exported:
    name: str
    project_id: int
    text: str
    placeholders: tuple[str, ...]  # environment variables the manifest needs


def export_fleet(
    state: LiveState,
    projects: Iterable[int] | None = None,
    secret_parameters: Mapping[int, Mapping[str, str]] | None = None,
    skip: Iterable[int] = (),
) -> list[Exported]:
    """One manifest per active deployment (of the given projects, if any; none of those in `skip`).

    `secret_parameters`: per project, the parameters the ledger records as secrets, with the `${env:…}` text they
    were written as; export writes that text (or a placeholder), never the value the project reports.
    """
    wanted = set(projects) if projects is not None else None
    skipped = set(skip)
    names_taken: set[str] = set()
    found = []
    for pid, dep in sorted(state.deployments.items()):
        if dep.active and (wanted is None or pid in wanted) and pid in state.projects and pid not in skipped:
            secrets = (secret_parameters or {}).get(pid, {})
            found.append(_one(dep, state.projects[pid], state, names_taken, secrets))
    return found


def manifest_name(project_name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-")[:55] or "deployment"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _one(
    dep: LiveDeployment, project: Project, state: LiveState, taken: set[str], secret_parameters: Mapping[str, str]
) -> Exported:
    name = manifest_name(project.name or str(project.project_id), taken)
    form = project.live_form
    unread: list[str] = ["compile: which compile runs is not reported; `latest` recompiles the current code"]
    names = [p.name for p in state.projects.values()]
    spec: dict[str, object] = {
        "project": literal(project.name) if names.count(project.name) == 1 else project.project_id
    }
    node = _node(dep, project, state, form)
    spec["node"] = literal(node) if node else "SET-ME"
    if not node:
        unread.append("node: no live node reports this project; set the node it runs on")
    brokerage, placeholders = _brokerage(dep, form, name)
    spec["brokerage"] = brokerage
    if not form.get("brokerageData"):
        unread.append("brokerage: only its display name is reported; add the settings it was deployed with")
    if spec["brokerage"]["id"] == "SET-ME":  # type: ignore[index]
        unread.append(f"brokerage: the API reports {dep.brokerage!r}, which names no known module; set its id")
    providers = reported_providers(form)
    spec["dataProviders"] = {p: _provider(p, brokerage, name, placeholders) for p in providers} or {
        "QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}
    }
    if not providers:
        unread.append("dataProviders: not reported; QuantConnectBrokerage assumed")
    if project.parameters:
        spec["parameters"] = _parameters(project, name, secret_parameters, placeholders)
    spec["automaticRedeploy"] = str(form.get("autoRestart", "false")).lower() == "true"
    unread.append("notification: targets are not reported; add them if the deployment notifies anyone")
    doc = {"apiVersion": "qcdeploy/v1", "kind": "LiveDeployment", "metadata": {"name": name}, "spec": spec}
    header = [
        f"# Exported by qcdeploy from {dep.deploy_id} ({dep.status}) of project {project.project_id}.",
        "# Fields the API could not tell:",
        *[f"#   {line}" for line in unread],
    ]
    if placeholders:
        header.append(f"# Secrets: set {', '.join(placeholders)} before plan or adopt.")
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return Exported(name, project.project_id, "\n".join(header) + "\n" + body, tuple(placeholders))


def _node(dep: LiveDeployment, project: Project, state: LiveState, form: dict[str, object] | object) -> str:
    running = node_running(project, state.nodes)
    if running is not None:
        return running.name or running.id
    wanted = form.get("node") if isinstance(form, dict) else None
    match = next((n for n in state.nodes if wanted and n.id == wanted), None)
    return (match.name or match.id) if match else ""


def _brokerage(dep: LiveDeployment, form: object, name: str) -> tuple[dict[str, object], list[str]]:
    """liveForm.brokerageData first; else the module behind the display name live/list reports; never the display
    name itself (live/create would refuse it) and never a credential (a placeholder instead)."""
    data = form.get("brokerageData") if isinstance(form, dict) else None
    settings: dict[str, object] = dict(data) if isinstance(data, dict) else {}
    reported = str(settings.get("id") or dep.brokerage or "")
    settings["id"] = module_id(reported) or "SET-ME"
    placeholders: list[str] = []
    for key in [*settings, *(k for k in BROKERAGES.get(str(settings["id"]), ()) if k not in settings)]:
        if key == "id" or (key in settings and not is_secret_key(key)):
            settings[key] = literal(settings[key])
            continue
        settings[key] = _placeholder(name, key, placeholders) if is_secret_key(key) else "SET-ME"
    return settings, placeholders


def _parameters(project: Project, name: str, secret: Mapping[str, str], placeholders: list[str]) -> dict[str, object]:
    params: dict[str, object] = {key: literal(value) for key, value in project.parameters.items()}
    for key in params:
        if key in secret or is_secret_key(key):
            ref = secret.get(key)
            if ref:
                placeholders.extend(substitute(ref, {}).names)
            params[key] = ref or _placeholder(name, key, placeholders)
    return params


def literal(value: object) -> object:
    """A value as the API reports it, written so that it reads back as itself: `${` in a manifest string starts
    a secret reference, so a literal one is written `$${` (the SPEC's escape)."""
    return value.replace("${", "$${") if isinstance(value, str) else value


def _provider(pid: str, brokerage: dict[str, object], name: str, placeholders: list[str]) -> dict[str, object]:
    """A provider that is also the brokerage takes the brokerage's settings (qc-api §4b); others their keys."""
    if pid == brokerage.get("id"):
        return dict(brokerage)
    settings: dict[str, object] = {"id": pid}
    for key in DATA_PROVIDERS.get(pid, ()):
        settings[key] = _placeholder(name, key, placeholders) if is_secret_key(key) else "SET-ME"
    return settings


def _placeholder(name: str, key: str, placeholders: list[str]) -> str:
    """`${env:MANIFEST_KEY}` where a secret goes; the variable is listed in the file's header."""
    var = re.sub(r"[^A-Z0-9]+", "_", f"{name}_{key}".upper()).strip("_")
    placeholders.append(var)
    return f"${{env:{var}}}"
