"""What `adopt` checks before it records a running deployment as matching its manifest.

The API cannot report everything a deployment was started with (no compile, no credentials), but what it does
report must agree with the manifest; otherwise adopting would make the next plan say "No changes" over a
difference that is real.
"""

from __future__ import annotations

from qcdeploy.brokerages import module_id
from qcdeploy.model import Desired, LiveDeployment, LiveState


def differences(d: Desired, dep: LiveDeployment, state: LiveState) -> list[str]:
    """Every field the API can tell that differs from the manifest (secret values never printed)."""
    found = []
    node = _running_node(d, state)
    if node and node != d.node.id:
        found.append(f"node: it runs on {_node_name(node, state)}, the manifest says {d.node.name or d.node.id}")
    running = module_id(dep.brokerage) if dep.brokerage else None
    wanted = str(d.manifest.spec["brokerage"].get("id"))
    if running and running != wanted:
        found.append(f"brokerage: it runs {running} ({dep.brokerage}), the manifest says {wanted}")
    providers = _reported_providers(d)
    manifest_providers = [str(v.get("id")) for v in d.manifest.spec["dataProviders"].values()]
    if providers and providers != manifest_providers:
        found.append(f"dataProviders: the project reports {providers}, the manifest says {manifest_providers}")
    found += _parameter_differences(d)
    return found


def _running_node(d: Desired, state: LiveState) -> str:
    for n in state.nodes:
        if n.busy and (n.project_id == d.project.project_id or (n.project_name and n.project_name == d.project.name)):
            return n.id
    return ""


def _node_name(node_id: str, state: LiveState) -> str:
    return next((n.name or n.id for n in state.nodes if n.id == node_id), node_id)


def _reported_providers(d: Desired) -> list[str]:
    raw = d.project.live_form.get("dataProvidersData") if isinstance(d.project.live_form, dict) else None
    ids = [p.get("id") if isinstance(p, dict) else p for p in raw or []]
    return [str(i) for i in ids if isinstance(i, str) and i]


def _parameter_differences(d: Desired) -> list[str]:
    now, wanted = dict(d.project.parameters), dict(d.manifest.spec["parameters"])
    found = []
    for key in sorted(set(now) | set(wanted)):
        if now.get(key) != wanted.get(key):
            secret = ("parameters", key) in d.manifest.sensitive
            shown = "(sensitive)" if secret else f"{now.get(key)!r} -> manifest {wanted.get(key)!r}"
            found.append(f"parameters.{key}: the project has {shown}")
    return found
