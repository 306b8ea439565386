"""Manifests resolved against the observed state: each one's project and node found by name or id."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from qcdeploy.errors import Problem, ProblemsError
from qcdeploy.manifests.load import Manifest
from qcdeploy.model import Desired, LiveState, Node, Project


def resolve(manifests: Sequence[Manifest], state: LiveState) -> list[Desired]:
    """Each manifest with its project and node found; every unknown or ambiguous one reported."""
    problems: list[Problem] = []
    by_name = _index((p.name.lstrip("/"), p) for p in state.projects.values())
    nodes_by_name = _index((n.name, n) for n in state.nodes)
    nodes_by_id = {n.id: n for n in state.nodes}
    desired = []
    for m in manifests:
        proj = _find_project(m, state, by_name, problems)
        live_node = _find_node(m, nodes_by_id, nodes_by_name, problems)
        if proj is not None and live_node is not None:
            desired.append(Desired(m, proj, live_node))
    problems += _same_target(desired)
    if problems:
        raise ProblemsError(problems)
    return desired


def _index(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    index: dict[str, list[Any]] = {}
    for key, value in pairs:
        index.setdefault(key, []).append(value)
    return index


def _find_project(
    m: Manifest, state: LiveState, by_name: dict[str, list[Project]], problems: list[Problem]
) -> Project | None:
    ref = m.spec["project"]
    if isinstance(ref, int):
        found = state.projects.get(ref)
        if found is None:
            problems.append(Problem(f"spec.project: no project with id {ref} in this account", m.where("project")))
        return found
    matches = by_name.get(ref.lstrip("/"), [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        hint = _near(ref.lstrip("/"), by_name)
        problems.append(Problem(f"spec.project: no project named {ref!r} in this account{hint}", m.where("project")))
    else:
        ids = ", ".join(str(p.project_id) for p in matches)
        problems.append(
            Problem(
                f"spec.project: {len(matches)} projects are named {ref!r} ({ids}); use the id",
                m.where("project"),
            )
        )
    return None


def _near(name: str, by_name: dict[str, list[Project]]) -> str:
    """` (did you mean 'Live/Momentum'?)` for a name that differs in case or by a typo from one project's."""
    same_case = [known for known in by_name if known.casefold() == name.casefold()]
    guess = same_case or difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.8)
    return f" (did you mean {guess[0]!r}?)" if guess else ""


def _find_node(
    m: Manifest, by_id: dict[str, Node], by_name: dict[str, list[Node]], problems: list[Problem]
) -> Node | None:
    ref = m.spec["node"]
    if ref in by_id:
        return by_id[ref]
    matches = by_name.get(ref, [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(sorted(n.name for n in by_id.values())) or "none"
        problems.append(Problem(f"spec.node: no live node {ref!r} (live nodes: {known})", m.where("node")))
    else:
        ids = ", ".join(n.id for n in matches)
        problems.append(
            Problem(
                f"spec.node: {len(matches)} live nodes are named {ref!r} ({ids}); use the id",
                m.where("node"),
            )
        )
    return None


def _same_target(desired: Sequence[Desired]) -> list[Problem]:
    problems: list[Problem] = []
    for attr, label in (("project", "project"), ("node", "node")):
        seen: dict[Any, Desired] = {}
        for d in desired:
            if attr == "node" and not d.manifest.running:
                continue
            key = getattr(d, attr)
            key = key.project_id if attr == "project" else key.id
            first = seen.setdefault(key, d)
            if first is not d:
                problems.append(
                    Problem(
                        f"spec.{label}: {label} {key} is also used by '{first.name}' at {first.manifest.where(label)}",
                        d.manifest.where(label),
                    )
                )
    return problems
