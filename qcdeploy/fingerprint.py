"""Deployment fields as the ledger records them: secrets replaced by salted, slow (scrypt) hashes."""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from qcdeploy.model import Desired
from qcdeploy.yamlsrc import Path

SENSITIVE_KEY = "$sensitive"
# scrypt cost: ~40 ms a distinct secret on one core; memoised, so a fleet sharing one
# brokerage login pays it once per run.
_N, _R, _P = 2**14, 8, 1


@functools.cache
def secret_hash(value: str, salt: str) -> str:
    """A hash that makes guessing a low-entropy secret from the ledger expensive."""
    digest = hashlib.scrypt(value.encode(), salt=bytes.fromhex(salt), n=_N, r=_R, p=_P, dklen=16)
    return "scrypt:" + digest.hex()


def warm(desired: Iterable[Desired], salt: str) -> None:
    """Hash every distinct secret once, on all cores (OpenSSL's scrypt releases the GIL)."""
    values = {str(_get(d.fields, path)) for d in desired for path in d.manifest.sensitive}
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        list(pool.map(lambda v: secret_hash(v, salt), values))


def _get(tree: Any, path: Path) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def is_sensitive(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SENSITIVE_KEY}


def recorded_fields(desired: Desired, salt: str) -> dict[str, Any]:
    """Desired.fields with every sensitive value hashed: safe to store and compare."""
    fields = desired.fields
    for path in desired.manifest.sensitive:
        _replace(fields, path, lambda v: {SENSITIVE_KEY: secret_hash(str(v), salt)})
    return fields


def masked(fields: dict[str, Any], paths: Iterable[Path], value: Any) -> dict[str, Any]:
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
        fields["versionId"] = f"project ({desired.project.lean_version or 'unknown: -1'})"
    return fields


def _replace(tree: dict[str, Any], path: Path, make: Any) -> None:
    """Copy-on-write replacement of one leaf, so the manifest's own values stay untouched."""
    node: Any = tree
    for part in path[:-1]:
        child = node[part]
        node[part] = child = dict(child) if isinstance(child, dict) else list(child)
        node = child
    node[path[-1]] = make(node[path[-1]])
