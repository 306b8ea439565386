"""Which ledger was last read at a location: its lineage (a random id written with the first ledger there, kept by
every later write) and its serial. A read that answers "no ledger", another lineage or an older serial where a
ledger was seen cannot be the ledger: a write built on it would replace what is stored (a 404 from a proxy, a
restarted state service, a stale replica). The run remembers what it read; the checkout remembers across runs,
in a small file (docs/design.md, "The ledger")."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qcdeploy.files import Unreadable, read_text

Doc = dict[str, Any]


@dataclass(frozen=True)
class Seen:
    lineage: str | None  # None: a ledger written before lineages (it gets one with its next write)
    serial: int


def new_lineage() -> str:
    return str(uuid.uuid4())


def seen_in(doc: Doc) -> Seen:
    lineage = doc.get("lineage")
    return Seen(lineage if isinstance(lineage, str) else None, _serial(doc))


def problem(where: str, seen: Seen, doc: Doc | None, who: str) -> str | None:
    """Why doc cannot be the ledger that was seen at where (who: "this run read", …), or None."""
    if doc is None:
        return (
            f"the ledger at {where} answered that there is none (not found, or an empty answer), but {who} one "
            f"there at serial {seen.serial}"
        )
    now = seen_in(doc)
    if seen.lineage is not None and now.lineage != seen.lineage:  # None: read before lineages, never known
        return f"the ledger at {where} is another ledger (lineage {now.lineage}) than {who} (lineage {seen.lineage})"
    if now.serial < seen.serial:
        return f"the ledger at {where} answered with serial {now.serial}, older than the serial {seen.serial} {who}"
    return None


def _serial(doc: Doc) -> int:
    try:
        return int(doc.get("serial", 0))
    except (TypeError, ValueError, OverflowError):
        return 0


class Memory:
    """What this checkout last read at each location, in a JSON file; a memory that cannot be read or written is
    no memory (it guards the ledger, it never stops a run)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def recall(self, where: str) -> Seen | None:
        entry = self._read().get(_key(where))
        if not isinstance(entry, dict) or not isinstance(entry.get("serial"), int):
            return None
        lineage = entry.get("lineage")
        return Seen(lineage if isinstance(lineage, str) else None, entry["serial"])

    def keep(self, where: str, seen: Seen) -> None:
        known = self._read()
        known[_key(where)] = {"lineage": seen.lineage, "serial": seen.serial}
        with contextlib.suppress(OSError):
            _make_folder(self.path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".lineage-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(known, fh, indent=2, sort_keys=True)
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)

    def _read(self) -> dict[str, Any]:
        try:  # regular and bounded: a FIFO here would block every run
            value = json.loads(read_text(self.path, 1 << 20))
        except (OSError, ValueError, Unreadable):
            return {}
        return value if isinstance(value, dict) else {}


def _key(where: str) -> str:
    """URLs and git remotes as written (the memory file is per checkout, so `origin` is this checkout's); paths
    made absolute."""
    return where if where.startswith(("git:", "http://", "https://")) else os.path.abspath(where)


def _make_folder(folder: Path) -> None:
    """.qcdeploy/ keeps itself out of git, as the local ledger's folder does."""
    fresh = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    if fresh and folder.name == ".qcdeploy":
        (folder / ".gitignore").write_text("# qcdeploy's local ledger, lock and lineage memory\n*\n")
