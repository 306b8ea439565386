"""What `adopt` checks before it records a running deployment as matching its manifest.

The API cannot report everything a deployment was started with (no compile, no credentials), but what it does
report must agree with the manifest; otherwise adopting would make the next plan say "No changes" over a
difference that is real.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qcdeploy.errors import Problem
from qcdeploy.manifests.brokerages import module_id
from qcdeploy.model import Desired, LedgerEntry, LiveDeployment, LiveState
from qcdeploy.planning.fingerprint import entry_for
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


@dataclass(frozen=True)
class Adoption:
    """What adopt decided: the entries to record, what it refused (with the manifest's place), what it recorded
    over a difference because --force said so."""

    entries: tuple[LedgerEntry, ...]
    refused: tuple[Problem, ...]
    forced: tuple[str, ...]


def adopt(
    desired: Sequence[Desired],
    state: LiveState,
    known: Mapping[str, LedgerEntry],
    salt: str,
    applied_at: str,
    force: bool = False,
) -> Adoption:
    """Ledger entries recording each manifest's active deployment as matching it. Refused for a project with no
    active deployment, or (without force) one whose reported fields differ from the manifest."""
    entries, refused, forced = [], [], []
    for d in desired:
        dep = state.deployments.get(d.project.project_id)
        if dep is None or not dep.active:
            status = dep.status if dep else "never deployed"
            refused.append(
                Problem(
                    f"{d.name}: project {d.project.project_id} has no active deployment to adopt ({status})",
                    d.manifest.where(),
                )
            )
            continue
        found = differences(d, dep, state)
        if found and not force:
            refused.append(
                Problem(
                    f"{d.name}: not adopted, the running deployment differs from the manifest: {'; '.join(found)} "
                    "(change the manifest, or --force to record it anyway)",
                    d.manifest.where(),
                )
            )
            continue
        if found:
            forced.append(f"{d.name}: adopted despite: {'; '.join(found)} (--force)")
        entries.append(_entry(d, dep, known.get(d.name), salt, applied_at))
    return Adoption(tuple(entries), tuple(refused), tuple(forced))


def _entry(d: Desired, dep: LiveDeployment, known: LedgerEntry | None, salt: str, applied_at: str) -> LedgerEntry:
    """The compile is known only when the manifest pins it; re-adopting the same deployment keeps what was known."""
    if known is not None and known.deploy_id == dep.deploy_id:
        return entry_for(d, dep.deploy_id, salt, known.compile_id, known.project_modified, applied_at, known.code_hash)
    pinned = d.manifest.spec["compile"]
    compile_id = None if pinned == "latest" else pinned
    return entry_for(d, dep.deploy_id, salt, compile_id, d.project.modified or None, applied_at)
