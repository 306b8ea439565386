"""Code changes told from parameter edits by content: the project's files hashed, read only where `modified` moved.

A parameter edit in the web UI can move a project's `modified` as a code edit does (qc-api §13); a redeploy for
it would restart a live strategy for nothing. The ledger records a hash of the files that were compiled; when
`modified` has moved past the ledger's record, `files/read` tells whether the code is still the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
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


def with_code_hashes(api: Api, desired: Sequence[Desired], ledger: Mapping[str, LedgerEntry]) -> list[Desired]:
    """Each manifest's project with its code hash where the ledger has one to compare and `modified` moved:
    one files/read per such project, none for the rest."""
    read: dict[int, str] = {}
    out = []
    for d in desired:
        entry = ledger.get(d.name)
        if entry is None or not entry.code_hash or not modified_moved(d, entry):
            out.append(d)
            continue
        pid = d.project.project_id
        if pid not in read:
            read[pid] = read_hash(api, pid)
        out.append(replace(d, project=replace(d.project, code_hash=read[pid])))
    return out
