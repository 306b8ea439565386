"""Saved plans: what `plan --out` writes and `apply --plan` carries out, refusing if anything moved since."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qcdeploy import __version__
from qcdeploy.errors import QcdeployError
from qcdeploy.files import Unreadable, load_json, read_text
from qcdeploy.manifests.load import Manifest
from qcdeploy.model import Change, KeyPath, LedgerEntry, LiveState, Plan, dotted
from qcdeploy.planning.fingerprint import SENSITIVE_KEY, entry_salt, is_sensitive, masked, matches, recorded_fields
from qcdeploy.planning.planner import PlanOptions

MARKER = "qcdeploy_plan"
FORMAT = 1
MAX_PLAN_BYTES = 64 * 1024 * 1024  # the plan of a 5,000-deployment fleet, rendered and fingerprinted, is a few MiB


class StalePlan(QcdeployError):
    """The world changed since the plan was made; nothing was changed."""


@dataclass(frozen=True)
class SavedPlan:
    paths: tuple[str, ...]
    environment: str | None
    options: PlanOptions
    salt: str
    manifests_digest: str
    fingerprints: tuple[dict[str, Any], ...]

    def not_compared(self) -> dict[str, tuple[KeyPath, ...]]:
        """Per planned change, the secrets whose variable was not set where the plan was made (a pull request's
        job has no broker secrets): the reviewer was told it could not be said whether they changed."""
        return {f["name"]: tuple(tuple(p) for p in f.get("unset", [])) for f in self.fingerprints if f.get("unset")}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(value).encode()).hexdigest()


def manifests_digest(manifests: Sequence[Manifest]) -> str:
    """Over the documents as written (secret references, not values); comments and layout do not count."""
    return sha256(sorted([m.doc.file, m.doc.index, m.doc.value] for m in manifests))


def fingerprint(
    c: Change, state: LiveState, ledger: Mapping[str, LedgerEntry], salt: str, unset: Sequence[Any] | None = None
) -> dict[str, Any]:
    """Everything the change depends on: the projects it touches, its ledger entry, its spec and node.

    A secret not set where the plan was made (a pull request's CI has no broker secrets) is left out of the
    spec's hash then, and again when apply checks the plan with every secret set."""
    pids = sorted({c.project_id} | ({c.observed.project_id} if c.observed else set()))
    d = c.desired
    entry = ledger.get(c.name)
    if unset is None:
        unset = sorted(list(p) for p in d.manifest.unset) if d is not None else []
    return {
        "name": c.name,
        "action": c.action.value,
        "liquidate": c.liquidate,
        "projects": {str(pid): _observed(state, pid) for pid in pids},
        "ledger": sha256(asdict(entry)) if entry is not None else None,
        "spec": sha256(masked(recorded_fields(d, salt), unset, "(not set)")) if d is not None else None,
        "unset": list(unset),
        "project_modified": d.project.modified if d is not None and d.manifest.spec["compile"] == "latest" else None,
        "node": {"id": d.node.id, "busy": d.node.busy} if d is not None and c.creates else None,
        "blocked": c.blocked,
    }


def _observed(state: LiveState, pid: int) -> dict[str, Any] | None:
    dep = state.deployments.get(pid)
    if dep is None:
        return None
    return {"deploy_id": dep.deploy_id, "status": dep.status, "launched": str(dep.launched)}


def write(
    path: str,
    plan: Plan,
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    manifests: Sequence[Manifest],
    paths: Sequence[str],
    options: PlanOptions,
    environment: str | None = None,
    shown: Mapping[str, Any] | None = None,
) -> None:
    """Write the plan, its fingerprints and a digest of itself; no secret value goes in. `shown` is the plan as
    `plan --format json` renders it, kept for people and tools reading the file (the renderer is the caller's)."""
    salt = secrets.token_hex(16)
    body: dict[str, Any] = {
        MARKER: FORMAT,
        "qcdeploy_version": __version__,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "paths": list(paths),
        "environment": environment,
        "options": {"targets": sorted(options.targets), "prune": options.prune, "replace": sorted(options.replace)},
        "salt": salt,
        "manifests_digest": manifests_digest(manifests),
        "fingerprints": [fingerprint(c, state, ledger, salt) for c in plan.changes],
        "desired_specs": {c.name: c.desired.manifest.doc.value["spec"] for c in plan.changes if c.desired is not None},
        "plan": dict(shown or {}),
    }
    body["digest"] = sha256(body)
    try:
        Path(path).write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        raise QcdeployError(f"cannot write the plan to {path}: {exc}") from None


def is_plan_file(path: str) -> bool:
    """A file that holds a saved plan (so `apply FILE` means `apply --plan FILE`)."""
    p = Path(path)
    if not p.is_file() or p.suffix in (".yaml", ".yml"):
        return False
    try:
        with p.open("rb") as fh:
            return MARKER.encode() in fh.read(200)
    except OSError:
        return False


def read(path: str) -> SavedPlan:
    """Load a saved plan, refusing one that was edited or made by another qcdeploy version."""
    try:  # bounded and regular, sane numbers only: a plan file is input like any other
        body = load_json(read_text(path, MAX_PLAN_BYTES), path)
        claimed = body.pop("digest")
    except Unreadable as exc:
        raise QcdeployError(f"{exc}: not a readable qcdeploy plan") from None
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise QcdeployError(f"{path} is not a readable qcdeploy plan: {exc}") from None
    if body.get(MARKER) != FORMAT:
        raise QcdeployError(f"{path} is not a qcdeploy plan of format {FORMAT}")
    if sha256(body) != claimed:
        raise QcdeployError(f"{path} does not match its own digest: the plan file was modified; make a new plan")
    if body["qcdeploy_version"] != __version__:
        raise StalePlan(f"{path} was made by qcdeploy {body['qcdeploy_version']}, this is {__version__}; plan again")
    options = body["options"]
    return SavedPlan(
        paths=tuple(body["paths"]),
        environment=body.get("environment"),
        options=PlanOptions(frozenset(options["targets"]), bool(options["prune"]), frozenset(options["replace"])),
        salt=str(body["salt"]),
        manifests_digest=str(body["manifests_digest"]),
        fingerprints=tuple(body["fingerprints"]),
    )


def check(
    saved: SavedPlan, manifests: Sequence[Manifest], fresh: Plan, state: LiveState, ledger: Mapping[str, LedgerEntry]
) -> tuple[Change, ...]:
    """The fresh plan's changes that match the saved ones exactly; StalePlan if any does not."""
    problems = []
    if manifests_digest(manifests) != saved.manifests_digest:
        problems.append("the manifests changed")
    by_name = {c.name: c for c in fresh.changes}
    changes = []
    for old in saved.fingerprints:
        c = by_name.get(old["name"])
        if c is None:
            now = {pid: _observed(state, int(pid)) for pid in old["projects"]}
            why = "the live deployment changed, and " if now != old["projects"] else ""
            problems.append(f"{old['name']}: {why}the planned {old['action']} is no longer needed or possible")
            continue
        new = fingerprint(c, state, ledger, saved.salt, old.get("unset", []))
        if new != old:
            problems.append(f"{old['name']}: {_difference(old, new)}")
        else:
            changes.append(c)
    if problems:
        raise StalePlan(
            "plan is stale: " + "; ".join(problems) + ". Nothing was changed; run plan again and review the new plan"
        )
    return tuple(changes)


def unreviewed_secrets(
    saved: SavedPlan, changes: Sequence[Change], ledger: Mapping[str, LedgerEntry], ledger_salt: str
) -> tuple[str, ...]:
    """Each secret the saved plan could not compare that, set now, differs from what the ledger recorded for the
    deployment it (re)creates: a change nobody reviewed ("ib-password changed since the plan was reviewed")."""
    not_compared = saved.not_compared()
    found = []
    for c in changes:
        entry, d = ledger.get(c.name), c.desired
        if entry is None or d is None or not c.creates:
            continue
        for path in not_compared.get(c.name, ()):
            recorded, now = _leaf(entry.spec, path), _leaf(d.fields, path)
            unchanged = not is_sensitive(recorded) or now is None
            if not unchanged and not matches(str(now), entry_salt(entry, ledger_salt), recorded[SENSITIVE_KEY]):
                found.append(f"{c.name}: {dotted(path)} changed since the plan was reviewed: not reviewed")
    return tuple(found)


def _leaf(tree: Any, path: KeyPath) -> Any:
    for part in path:
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = [k for k in old if old[k] != new.get(k)]
    words = {
        "projects": "the live deployment changed",
        "ledger": "the ledger entry changed",
        "spec": "the desired spec (or a secret) changed",
        "project_modified": "the project's code changed",
        "node": "the node's availability changed",
        "action": f"the action is now {new['action']}",
    }
    return ", ".join(words.get(k, f"{k} changed") for k in keys)
