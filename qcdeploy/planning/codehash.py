"""Code changes told from parameter edits by content: the project's files hashed, read only where `modified` moved.

A parameter edit in the web UI can move a project's `modified` as a code edit does (qc-api §13); a redeploy for
it would restart a live strategy for nothing. The ledger records a hash of the files that were compiled; when
`modified` has moved past the ledger's record, `files/read` tells whether the code is still the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qcdeploy.errors import ApiError, AuthError
from qcdeploy.model import Desired, LedgerEntry
from qcdeploy.quantconnect.decode import parse_time

if TYPE_CHECKING:
    from qcdeploy.quantconnect.endpoints import Api


def content_hash(files: Iterable[Mapping[str, Any]]) -> str:
    """One hash of every file's name and content, whatever order the API lists them in."""
    pairs = sorted((str(f.get("name", "")), str(f.get("content", ""))) for f in files)
    return "sha256:" + hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()


def read_hash(api: Api, project_id: int) -> str:
    """The project's code hash now; "" when it cannot be read (the caller falls back on `modified` alone)."""
    try:
        return content_hash(api.files(project_id))
    except AuthError:
        raise
    except ApiError:
        return ""


def modified_moved(d: Desired, entry: LedgerEntry) -> bool:
    """The project's `modified` is later than the one the ledger recorded with its compile (`compile: latest`)."""
    recorded, current = parse_time(entry.project_modified), d.project.modified_at
    latest = d.manifest.spec["compile"] == "latest"
    return latest and recorded is not None and current is not None and current > recorded


def with_code_hashes(
    api: Api, desired: Sequence[Desired], ledger: Mapping[str, LedgerEntry], workers: int = 8
) -> list[Desired]:
    """Each manifest's project with its code hash where the ledger has one to compare and `modified` moved:
    one files/read per such project (up to `workers` at once, as exposure reads), none for the rest."""
    moved = sorted({d.project.project_id for d in desired if _compared(d, ledger.get(d.name))})
    if not moved:
        return list(desired)
    with ThreadPoolExecutor(max_workers=min(workers, len(moved))) as pool:
        hashes = dict(zip(moved, pool.map(lambda pid: read_hash(api, pid), moved), strict=True))
    return [
        replace(d, project=replace(d.project, code_hash=hashes[d.project.project_id]))
        if _compared(d, ledger.get(d.name))
        else d
        for d in desired
    ]


def _compared(d: Desired, entry: LedgerEntry | None) -> bool:
    return entry is not None and bool(entry.code_hash) and modified_moved(d, entry)
