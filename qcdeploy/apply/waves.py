"""Replaces grouped into waves: at most N strategies down at once, and a node swap always in one wave."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from qcdeploy.apply.outcome import Result


def waves(replaces: Sequence[Result], size: int) -> Iterator[list[Result]]:
    """Waves of up to `size` replaces, in plan order; replaces that hand nodes to each other stay together
    (a wave larger than `size` only when such a group is)."""
    wave: list[Result] = []
    for group in _groups(replaces):
        if wave and len(wave) + len(group) > size:
            yield wave
            wave = []
        wave.extend(group)
    if wave:
        yield wave


def _groups(replaces: Sequence[Result]) -> list[list[Result]]:
    """Union of replaces where one's new node is the node another's old deployment holds."""
    parent = list(range(len(replaces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    holder = {_old_node(r): i for i, r in enumerate(replaces) if _old_node(r)}
    for i, r in enumerate(replaces):
        j = holder.get(_new_node(r))
        if j is not None:
            parent[root(i)] = root(j)
    groups: dict[int, list[Result]] = {}
    for i, r in enumerate(replaces):
        groups.setdefault(root(i), []).append(r)
    return sorted(groups.values(), key=lambda g: replaces.index(g[0]))


def _old_node(r: Result) -> str:
    entry = r.change.entry
    return str(entry.spec.get("nodeId") or "") if entry is not None else ""


def _new_node(r: Result) -> str:
    d = r.change.desired
    assert d is not None  # waves hold replaces, and a replace always has its manifest
    return d.node.id
