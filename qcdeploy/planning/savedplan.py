"""Saved plans: what `plan --out` writes and `apply --plan` carries out, refusing if anything moved since."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
    fingerprints: tuple[dict[str, Any], ...]
    approved: tuple[str, ...] = ()  # what the reviewers approved with the plan: "protected" (--allow-protected)
    rendered: Mapping[str, str] = field(default_factory=dict)  # the plan as shown when it was made, by format
    shown: Mapping[str, Any] = field(default_factory=dict)  # the plan as `plan --format json` renders it
    made: str = ""  # when and by which qcdeploy version

    @property
    def about(self) -> str:
        """For people: the environment, when it was made, what was approved with it."""
        parts = [f"environment {self.environment}"] if self.environment else []
        parts.append(self.made)
        if self.approved:
            parts.append("approved: " + ", ".join(self.approved))
        return "; ".join(parts)

    @property
    def allow_protected(self) -> bool:
        return "protected" in self.approved

    def not_compared(self) -> dict[str, tuple[KeyPath, ...]]:
        """Per planned change, the secrets whose variable was not set where the plan was made (a pull request's
        job has no broker secrets): the reviewer was told it could not be said whether they changed."""
        return {f["name"]: tuple(tuple(p) for p in f.get("unset", [])) for f in self.fingerprints if f.get("unset")}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256(value: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(value).encode()).hexdigest()


def manifest_digest(manifest: Manifest) -> str:
    """Over one deployment's effective document as written (an overlay's patch included; secret references, not
    values): comments, layout, and every other deployment's documents do not count."""
    return sha256(manifest.doc.value)


def manifest_files(manifest: Manifest, root: Path | None = None) -> list[str]:
    """The files one deployment's effective manifest comes from (its base document, the overlay that patched
    it), relative to root where they are under it."""
    files = {manifest.doc.file} | {loc.file for loc in manifest.doc.locations.values()}
    return sorted(relative(f, root) for f in files)


def relative(path: str, root: Path | None) -> str:
    """path relative to root when it is inside it (as posix), else as given."""
    if root is None:
        return path
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return path


def rooted(paths: Sequence[str], root: Path) -> list[str]:
    """Saved (repository-relative) paths back to paths that work from the current directory."""
    return [p if Path(p).is_absolute() else str(root / p) for p in paths]


def fingerprint(
    c: Change,
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    salt: str,
    unset: Sequence[Any] | None = None,
    root: Path | None = None,
) -> dict[str, Any]:
    """Everything the change depends on: the projects it touches, its ledger entry, its manifest (spec, protect,
    onStop, … as written), its code and node. `files` only says where the manifest is, for messages.

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
        "manifest": manifest_digest(d.manifest) if d is not None else None,
        "files": manifest_files(d.manifest, root) if d is not None else [],
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


@dataclass(frozen=True)
class Extras:
    """What a saved plan carries beside its changes: for whom it was made and what was approved with it."""

    environment: str | None = None
    approved: tuple[str, ...] = ()
    shown: Mapping[str, Any] = field(default_factory=dict)  # `plan --format json`'s document (the caller renders)
    rendered: Mapping[str, str] = field(default_factory=dict)  # text, text-verbose, markdown: for `qcdeploy show`
    root: Path | None = None  # the repository root: paths are stored relative to it


def write(
    path: str,
    plan: Plan,
    state: LiveState,
    ledger: Mapping[str, LedgerEntry],
    paths: Sequence[str],
    options: PlanOptions,
    extras: Extras | None = None,
) -> None:
    """Write the plan, its fingerprints and a digest of itself; no secret value goes in."""
    x = extras or Extras()
    salt = secrets.token_hex(16)
    body: dict[str, Any] = {
        MARKER: FORMAT,
        "qcdeploy_version": __version__,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "paths": [relative(p, x.root) for p in (paths or ["."])],  # none given: the current directory
        "environment": x.environment,
        "options": {"targets": sorted(options.targets), "prune": options.prune, "replace": sorted(options.replace)},
        "approved": sorted(x.approved),
        "salt": salt,
        "fingerprints": [fingerprint(c, state, ledger, salt, root=x.root) for c in plan.changes],
        "desired_specs": {c.name: c.desired.manifest.doc.value["spec"] for c in plan.changes if c.desired is not None},
        "plan": dict(x.shown),
        "rendered": dict(x.rendered),
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


def read(path: str, any_version: bool = False) -> SavedPlan:
    """Load a saved plan, refusing one that was edited or (unless any_version, to show it) made by another
    qcdeploy version."""
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
    if body["qcdeploy_version"] != __version__ and not any_version:
        raise StalePlan(f"{path} was made by qcdeploy {body['qcdeploy_version']}, this is {__version__}; plan again")
    options = body["options"]
    return SavedPlan(
        paths=tuple(body["paths"]),
        environment=body.get("environment"),
        options=PlanOptions(frozenset(options["targets"]), bool(options["prune"]), frozenset(options["replace"])),
        salt=str(body["salt"]),
        fingerprints=tuple(body["fingerprints"]),
        approved=tuple(body.get("approved", ())),
        rendered=dict(body.get("rendered") or {}),
        shown=dict(body.get("plan") or {}),
        made=f"made {body.get('created_at')} by qcdeploy {body['qcdeploy_version']}",
    )


def check(
    saved: SavedPlan, fresh: Plan, state: LiveState, ledger: Mapping[str, LedgerEntry], root: Path | None = None
) -> tuple[Change, ...]:
    """The fresh plan's changes that match the saved ones exactly; StalePlan if any does not. Only what a saved
    change depends on counts: an edit to another deployment's manifest, or a change that appeared since, leaves
    the plan current (a change that appeared since is not carried out)."""
    problems = []
    by_name = {c.name: c for c in fresh.changes}
    changes = []
    for old in saved.fingerprints:
        c = by_name.get(old["name"])
        if c is None:
            now = {pid: _observed(state, int(pid)) for pid in old["projects"]}
            why = "the live deployment changed, and " if now != old["projects"] else ""
            problems.append(f"{_named(old)}: {why}the planned {old['action']} is no longer needed or possible")
            continue
        new = fingerprint(c, state, ledger, saved.salt, old.get("unset", []), root)
        if _compared(new) != _compared(old):
            problems.append(f"{_named(new)}: {_difference(old, new)}")
        else:
            changes.append(c)
    if problems:
        raise StalePlan(
            "plan is stale: " + "; ".join(problems) + ". Nothing was changed; run plan again and review the new plan"
        )
    return tuple(changes)


def _compared(fp: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fp.items() if k != "files"}  # where the manifest lives is for messages only


def _named(fp: Mapping[str, Any]) -> str:
    files = fp.get("files") or []
    return f"{fp['name']} ({', '.join(files)})" if files else str(fp["name"])


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
    keys = [k for k in _compared(old) if old[k] != new.get(k)]
    if "spec" in keys and "manifest" in keys:
        keys.remove("manifest")
    words = {
        "projects": "the live deployment changed",
        "ledger": "the ledger entry changed",
        "spec": "the desired spec (or a secret) changed",
        "manifest": "its manifest changed",
        "project_modified": "the project's code changed",
        "node": "the node's availability changed",
        "action": f"the action is now {new['action']}",
    }
    return ", ".join(words.get(k, f"{k} changed") for k in keys)
