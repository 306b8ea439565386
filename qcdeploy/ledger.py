"""qcdeploy's own record of the deployments it made: a local JSON file, written atomically."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qcdeploy.errors import LedgerError
from qcdeploy.model import LedgerEntry

FORMAT_VERSION = 1


class Ledger:
    """Entries by deployment name; every put/remove is saved before it returns."""

    def __init__(self, path: str, salt: str, entries: dict[str, LedgerEntry], serial: int = 0) -> None:
        self.path = path
        self.salt = salt
        self.entries = entries
        self.serial = serial
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str) -> Ledger:
        """Read the ledger; a missing file is an empty ledger (everything looks unmanaged: safe)."""
        try:
            raw = json.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            return cls(path, secrets.token_hex(16), {})
        except (OSError, ValueError) as exc:
            raise LedgerError(f"cannot read the ledger {path}: {exc}") from None
        try:
            entries = {name: _entry(name, e) for name, e in raw["deployments"].items()}
            return cls(path, str(raw["salt"]), entries, int(raw.get("serial", 0)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LedgerError(f"the ledger {path} is malformed ({exc!r}); restore it from backup") from None

    def by_project(self) -> dict[int, LedgerEntry]:
        return {e.project_id: e for e in self.entries.values()}

    def put(self, entry: LedgerEntry) -> None:
        with self._lock:
            self.entries[entry.name] = entry
            self._save()

    def remove(self, name: str) -> None:
        with self._lock:
            if self.entries.pop(name, None) is not None:
                self._save()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "serial": self.serial,
            "salt": self.salt,
            "deployments": {n: _entry_json(e) for n, e in sorted(self.entries.items())},
        }

    def _save(self) -> None:
        self.serial += 1
        target = Path(self.path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.to_json(), fh, indent=2, sort_keys=False)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from None


def _entry(name: str, raw: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        name=name,
        project_id=int(raw["projectId"]),
        deploy_id=str(raw["deployId"]),
        spec=dict(raw["spec"]),
        compile_id=raw.get("compileId"),
        project_modified=raw.get("projectModified"),
        applied_at=str(raw.get("appliedAt", "")),
        on_stop=str(raw.get("onStop", "stop")),
        protect=bool(raw.get("protect", False)),
    )


def _entry_json(entry: LedgerEntry) -> dict[str, Any]:
    raw = asdict(entry)
    return {
        "projectId": raw["project_id"],
        "deployId": raw["deploy_id"],
        "compileId": raw["compile_id"],
        "projectModified": raw["project_modified"],
        "appliedAt": raw["applied_at"],
        "onStop": raw["on_stop"],
        "protect": raw["protect"],
        "spec": raw["spec"],
    }
