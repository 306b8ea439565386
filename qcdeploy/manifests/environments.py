"""Environment overlays: one set of base manifests, patched per environment (paper, live, …) by name.

A patch is a JSON merge patch (RFC 7396, which replaced RFC 7386) of a deployment's spec: mappings merge, other
values replace, null removes. Every patched value keeps the file:line:col of the overlay that wrote it, so a
schema error in an overlay points at the overlay.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qcdeploy.errors import Location, Problem
from qcdeploy.manifests.yamlsrc import Document
from qcdeploy.model import KeyPath

KIND = "Environment"


@dataclass(frozen=True)
class Environment:
    name: str
    state: str | None
    doc: Document = field(compare=False, repr=False)

    @property
    def spec(self) -> dict[str, Any]:
        value = self.doc.value.get("spec") or {}
        return value if isinstance(value, dict) else {}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: mappings merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def overlay(doc: Document, env: Environment) -> Document | None:
    """The base document as this environment sees it; None when the environment leaves it out."""
    name = (doc.value.get("metadata") or {}).get("name") if isinstance(doc.value, dict) else None
    only = env.spec.get("only")
    if only is not None and name not in only:
        return None
    value = copy.deepcopy(doc.value)
    locations = dict(doc.locations)
    patches: list[tuple[KeyPath, Any]] = [(("spec", "defaults"), env.spec.get("defaults"))]
    patches.append((("spec", "deployments", str(name)), (env.spec.get("deployments") or {}).get(name)))
    for prefix, patch in patches:
        if isinstance(patch, dict) and isinstance(value, dict):
            value["spec"] = merge_patch(value.get("spec"), patch)
            locations.update(_moved(env.doc.locations, prefix, ("spec",)))
    metadata = value.setdefault("metadata", {}) if isinstance(value, dict) else {}
    if isinstance(metadata, dict):
        metadata["labels"] = {**(metadata.get("labels") or {}), "qcdeploy/environment": env.name}
    return Document(doc.file, doc.index, value, locations, list(doc.problems))


def _moved(locations: dict[KeyPath, Location], prefix: KeyPath, to: KeyPath) -> dict[KeyPath, Location]:
    return {
        to + path[len(prefix) :]: loc
        for path, loc in locations.items()
        if path[: len(prefix)] == prefix and len(path) > len(prefix)
    }


def place_missing(problem: Problem, doc: Document, env: Environment) -> Problem:
    """A required key missing from a deployment as an environment sees it belongs in that environment's overlay
    (or its defaults, or the base): say so there, not at the base file that merely lacks it."""
    match = re.fullmatch(r"spec: '([^']+)' is a required property", problem.message)
    if match is None or problem.location is None or problem.location.file == env.doc.file:
        return problem
    name = str((doc.value.get("metadata") or {}).get("name"))
    patch: KeyPath = ("spec", "deployments", name)
    where = env.doc.where(patch if patch in env.doc.locations else ("metadata", "name"))
    return Problem(
        f"spec.deployments.{name}: '{match[1]}' is required and environment '{env.name}' does not set it: add "
        f"{match[1]}: under spec.deployments.{name} here (or spec.defaults), or in the base at {problem.location}",
        where,
    )


def check_references(env: Environment, names: Sequence[str]) -> list[Problem]:
    """Patches and `only` entries must name base deployments."""
    problems = []
    known = set(names)
    for key in env.spec.get("deployments") or {}:
        if key not in known:
            where = env.doc.where(("spec", "deployments", key))
            problems.append(
                Problem(f"spec.deployments.{key}: no base deployment named '{key}' (environment {env.name})", where)
            )
    for i, key in enumerate(env.spec.get("only") or []):
        if key not in known:
            problems.append(
                Problem(
                    f"spec.only[{i}]: no base deployment named '{key}' (environment {env.name})",
                    env.doc.where(("spec", "only", i)),
                )
            )
    return problems


def state_url(base: str, env: Environment) -> str:
    """The environment's own ledger: its `state`, or the base location with -NAME added."""
    if env.state:
        return env.state
    if base.startswith("git:"):
        remote, _, branch = base[len("git:") :].partition("#")
        return f"git:{remote}#{branch or 'qcdeploy-state'}-{env.name}"
    if base.startswith(("http://", "https://")):
        head, sep, query = base.partition("?")
        return f"{head.rstrip('/')}-{env.name}{sep}{query}"
    prefix = "file:" if base.startswith("file:") else ""
    path = base[len(prefix) :]
    stem, dot, suffix = path.rpartition(".")
    return f"{prefix}{stem}-{env.name}.{suffix}" if dot and "/" not in suffix else f"{prefix}{path}-{env.name}"
