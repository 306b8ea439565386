"""Deployment fields as the ledger records them: secrets replaced by salted, slow (scrypt) hashes."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from qcdeploy.model import Desired, KeyPath, LedgerEntry

SENSITIVE_KEY = "$sensitive"
# scrypt parameters by the name a hash carries before its colon. Each costs ~40 ms a distinct secret on one core
# (work grows with N*r*p); memoised, so a fleet sharing one brokerage login pays it once per run. "scrypt2" does
# the legacy "scrypt" work in a quarter of its memory (4 MiB, not 16: OpenSSL reuses one N*r buffer across the
# p lanes), the trade OWASP's password storage cheat sheet lists (N=2^13, r=8, p=10 beside N=2^17, r=8, p=1).
# Ledgers written before keep their "scrypt:" hashes and are compared with that scheme, so nothing reads as
# changed after an upgrade.
SCHEMES = {"scrypt": (2**14, 8, 1), "scrypt2": (2**12, 8, 4)}
CURRENT = "scrypt2"


@functools.cache
def secret_hash(value: str, salt: str, scheme: str = CURRENT) -> str:
    """A hash that makes guessing a low-entropy secret from the ledger expensive."""
    n, r, p = SCHEMES[scheme]
    digest = hashlib.scrypt(value.encode(), salt=bytes.fromhex(salt), n=n, r=r, p=p, dklen=16)
    return f"{scheme}:{digest.hex()}"


def scheme_of(recorded: Any) -> str:
    """The scheme a recorded hash (or a {$sensitive: hash} leaf) was made with; the current one for anything else."""
    if is_sensitive(recorded):
        recorded = recorded[SENSITIVE_KEY]
    name = recorded.partition(":")[0] if isinstance(recorded, str) else ""
    return name if name in SCHEMES else CURRENT


def matches(value: str, salt: str, recorded: str) -> bool:
    """Whether a secret is the one a recorded hash was made from, in the scheme it was made with."""
    return secret_hash(value, salt, scheme_of(recorded)) == recorded


def entry_salt(entry: LedgerEntry, ledger_salt: str) -> str:
    """The salt an entry's secrets were hashed with: its own when it has a usable one, else the ledger's."""
    try:
        bytes.fromhex(entry.salt)
    except ValueError:
        return ledger_salt
    return entry.salt or ledger_salt


def warm(desired: Iterable[tuple[Desired, LedgerEntry]], ledger_salt: str) -> None:
    """Hash every distinct secret once, with the salt and scheme the planner will compare it in, on two threads at
    most (OpenSSL's scrypt releases the GIL; each thread holds one scrypt buffer, so memory stays bounded)."""
    values = {
        (str(_get(d.fields, path)), entry_salt(entry, ledger_salt), scheme_of(_lookup(entry.spec, path)))
        for d, entry in desired
        for path in d.manifest.sensitive
    }
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        list(pool.map(lambda v: secret_hash(*v), values))


def _get(tree: Any, path: KeyPath) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _lookup(tree: Any, path: KeyPath) -> Any:
    try:
        return _get(tree, path)
    except (KeyError, IndexError, TypeError):
        return None


def is_sensitive(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SENSITIVE_KEY}


def recorded_fields(desired: Desired, salt: str, like: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Desired.fields with every sensitive value hashed: safe to store and compare. Compared with a recorded spec
    (`like`), each secret is hashed in the scheme that spec's hash at the same place was made with."""
    fields = desired.fields
    for path in desired.manifest.sensitive:
        scheme = scheme_of(_lookup(like, path)) if like is not None else CURRENT
        _replace(fields, path, lambda v, s=scheme: {SENSITIVE_KEY: secret_hash(str(v), salt, s)})
    return fields


def masked(fields: dict[str, Any], paths: Iterable[KeyPath], value: Any) -> dict[str, Any]:
    """fields with the leaf at each path (where there is one) replaced by value (copy-on-write)."""
    for path in paths:
        try:
            _replace(fields, tuple(path), lambda _: value)
        except (KeyError, IndexError, TypeError):
            continue
    return fields


def display_fields(desired: Desired) -> dict[str, Any]:
    """Desired.fields with every sensitive value masked for output."""
    fields = desired.fields
    for path in desired.manifest.sensitive:
        _replace(fields, path, lambda v: {SENSITIVE_KEY: ""})
    if fields.get("versionId") == "project":
        fields["versionId"] = f"project ({desired.lean_label or desired.project.lean_version or 'unknown: -1'})"
    elif desired.lean_label:
        fields["versionId"] = desired.lean_label
    return fields


def _replace(tree: dict[str, Any], path: KeyPath, make: Any) -> None:
    """Copy-on-write replacement of one leaf, so the manifest's own values stay untouched."""
    node: Any = tree
    for part in path[:-1]:
        child = node[part]
        node[part] = child = dict(child) if isinstance(child, dict) else list(child)
        node = child
    node[path[-1]] = make(node[path[-1]])


def entry_for(
    d: Desired,
    deploy_id: str,
    salt: str,
    compile_id: str | None,
    project_modified: str | None,
    applied_at: str,
    code_hash: str = "",
) -> LedgerEntry:
    """What the ledger records of deployment deploy_id made (or adopted) from d: the one builder apply and adopt
    share, so both record the same fields the planner compares."""
    spec = d.manifest.spec
    return LedgerEntry(
        name=d.name,
        project_id=d.project.project_id,
        deploy_id=deploy_id,
        spec=recorded_fields(d, salt),
        compile_id=compile_id,
        project_modified=project_modified,
        applied_at=applied_at,
        on_stop=spec["onStop"],
        protect=bool(spec["protect"]),
        refs=d.manifest.references(),  # where each secret came from: a rollback of it resolves them again
        salt=salt,
        code_hash=code_hash,
    )
