"""What `adopt` checks before it records a running deployment as matching its manifest.

The API cannot report everything a deployment was started with (no compile, no credentials), but what it does
report must agree with the manifest; otherwise adopting would make the next plan say "No changes" over a
difference that is real.
"""

from __future__ import annotations

from qcdeploy.manifests.brokerages import module_id
from qcdeploy.model import Desired, LiveDeployment, LiveState
from qcdeploy.planning.planner import parameter_changes
from qcdeploy.quantconnect.decode import node_running, reported_providers


def differences(d: Desired, dep: LiveDeployment, state: LiveState) -> list[str]:
    """Every field the API can tell that differs from the manifest (secret values never printed)."""
    found = []
    running_node = node_running(d.project, state.nodes)
    node = running_node.id if running_node is not None else ""
    if node and node != d.node.id:
        found.append(f"node: it runs on {_node_name(node, state)}, the manifest says {d.node.name or d.node.id}")
    running = module_id(dep.brokerage) if dep.brokerage else None
    wanted = str(d.manifest.spec["brokerage"].get("id"))
    if running and running != wanted:
        found.append(f"brokerage: it runs {running} ({dep.brokerage}), the manifest says {wanted}")
    providers = reported_providers(d.project.live_form)
    manifest_providers = [str(v.get("id")) for v in d.manifest.spec["dataProviders"].values()]
    if providers and providers != manifest_providers:
        found.append(f"dataProviders: the project reports {providers}, the manifest says {manifest_providers}")
    found += _parameter_differences(d)
    return found


def _node_name(node_id: str, state: LiveState) -> str:
    return next((n.name or n.id for n in state.nodes if n.id == node_id), node_id)


def _parameter_differences(d: Desired) -> list[str]:
    found = []
    for fc in parameter_changes(d):
        shown = "(sensitive)" if fc.sensitive else f"{fc.before!r} -> manifest {fc.after!r}"
        found.append(f"parameters.{fc.path[-1]}: the project has {shown}")
    return found
