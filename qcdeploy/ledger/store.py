"""qcdeploy's own record of the deployments it made, kept in a state backend (file, git branch, HTTP)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from qcdeploy.errors import LedgerError
from qcdeploy.ledger import journal, lineage
from qcdeploy.ledger.backends.base import Backend, Doc
from qcdeploy.ledger.journal import JournalEntry
from qcdeploy.model import LedgerEntry

FORMAT_VERSION = 1
HISTORY = 200  # events kept in the ledger's history
BACKTESTS = 500  # backtest gate passes kept (the newest)


class Ledger:
    """Entries by deployment name. Every put/remove is a read-modify-write of the backend's newest
    document, so entries another writer added meanwhile are kept; a read that is not the ledger this run read
    (none, another lineage, an older serial) is refused before anything is written (lineage.py)."""

    def __init__(self, backend: Backend, doc: Doc | None, memory: lineage.Memory | None = None) -> None:
        self.backend = backend
        self.memory = memory
        self._lock = threading.Lock()
        self.salt = secrets.token_hex(16)
        self.serial = 0
        self.lineage = lineage.new_lineage()
        self.seen: lineage.Seen | None = None  # the ledger this run read or wrote last; None: there was none
        self.entries: dict[str, LedgerEntry] = {}
        self.journal: dict[str, JournalEntry] = {}  # changes in flight (docs/design.md, "The ledger")
        self.backtests: dict[str, dict[str, Any]] = {}  # gate passes by compile and parameters (apply/backtesting)
        self.history: list[dict[str, Any]] = []  # overrides, heals, notifications sent: oldest first
        if doc is not None:
            self._load(doc)

    @classmethod
    def load(cls, backend: Backend, memory: lineage.Memory | None = None) -> Ledger:
        """Read the ledger; none yet is an empty ledger (everything looks unmanaged: safe), unless this checkout
        remembers a ledger there."""
        doc = backend.read()
        where = backend.describe()
        remembered = memory.recall(where) if memory else None
        if memory is not None and remembered is not None:
            why = lineage.problem(where, remembered, doc, "this checkout last read")
            if why:
                raise LedgerError(
                    f"{why} (remembered in {memory.path}). Nothing was planned or written. If the ledger was moved, "
                    f"restored or removed on purpose, delete that file and run again"
                )
        ledger = cls(backend, doc, memory)
        ledger._remember()
        return ledger

    def put(self, entry: LedgerEntry) -> None:
        self.put_all([entry], f"qcdeploy: record {entry.name} = {entry.deploy_id} (project {entry.project_id})")

    def put_all(self, entries: Iterable[LedgerEntry], message: str = "") -> None:
        entries = list(entries)

        def change(doc: Doc) -> None:
            for e in entries:
                doc["deployments"][e.name] = entry_json(e)

        self._commit(change, message or f"qcdeploy: record {', '.join(e.name for e in entries)}")

    def note(self, event: dict[str, Any]) -> None:
        """Add an event to the ledger's history (the newest HISTORY kept): who overrode a rule, and why."""

        def change(doc: Doc) -> None:
            history = doc.get("history")
            kept: list[Any] = history if isinstance(history, list) else []
            doc["history"] = [*kept, event][-HISTORY:]

        self._commit(change, f"qcdeploy: {event.get('event', 'note')}")

    def record_backtest(self, key: str, record: dict[str, Any]) -> None:
        """A backtest that passed its gate, kept so that the same compile and parameters are not run again."""

        def change(doc: Doc) -> None:
            kept = doc.get("backtests")
            passes = {k: v for k, v in (kept if isinstance(kept, dict) else {}).items() if k != key}
            doc["backtests"] = dict([*passes.items(), (key, record)][-BACKTESTS:])

        self._commit(change, f"qcdeploy: backtest {record.get('backtestId')} passed")

    def remove(self, name: str) -> None:
        if name in self.entries:
            self._commit(lambda doc: doc["deployments"].pop(name, None), f"qcdeploy: forget {name} (stopped)")

    def begin(self, j: JournalEntry, forget: bool = False, record: LedgerEntry | None = None) -> None:
        """Write (or move on) the journal entry of a change in flight, before the step it names is taken. In the same
        write: with `forget` the deployment's entry leaves the ledger (it has stopped); `record` is put (created)."""

        def change(doc: Doc) -> None:
            doc.setdefault("journal", {})[j.name] = journal.to_json(j, entry_json)
            if forget:
                doc["deployments"].pop(j.name, None)
            if record is not None:
                doc["deployments"][record.name] = entry_json(record)

        recorded = f"record {record.name} = {record.deploy_id} (project {record.project_id}); " if record else ""
        self._commit(change, f"qcdeploy: {recorded}{j.name} {j.step}")

    def settle(self, done: Iterable[str], flat: Iterable[JournalEntry] = ()) -> None:
        """At the end of a run, one write: the journal entries of changes that reached a known end go; those left
        FLAT stay, saying so, for the next plan."""
        done, flat = [n for n in done if n in self.journal], list(flat)

        def change(doc: Doc) -> None:
            kept = doc.setdefault("journal", {})
            for name in done:
                kept.pop(name, None)
            for j in flat:
                kept[j.name] = journal.to_json(j, entry_json)
            if not kept:
                del doc["journal"]

        if done or flat:
            self._commit(change, f"qcdeploy: settle {', '.join([*done, *(j.name for j in flat)])}")

    def to_json(self) -> Doc:
        in_flight = {n: journal.to_json(j, entry_json) for n, j in self.journal.items()}
        return {
            "version": FORMAT_VERSION,
            "lineage": self.lineage,
            "serial": self.serial,
            "salt": self.salt,
            "deployments": {n: entry_json(e) for n, e in sorted(self.entries.items())},
            **({"journal": in_flight} if in_flight else {}),
        }

    def _commit(self, change: Callable[[Doc], Any], message: str) -> None:
        def apply(doc: Doc | None) -> Doc:
            self._check_read(doc)
            doc = doc if doc is not None else self.to_json() | {"deployments": {}}
            doc["lineage"] = doc.get("lineage") or self.lineage  # a ledger from before lineages gets one now
            change(doc)
            doc["serial"] = int(doc.get("serial", 0)) + 1
            doc["deployments"] = dict(sorted(doc["deployments"].items()))
            return doc

        with self._lock:
            self._load(self.backend.update(apply, message))
            self._remember()

    def _check_read(self, doc: Doc | None) -> None:
        """The read under a write must be the ledger this run read (or, for a first write, still none)."""
        where = self.backend.describe()
        if self.seen is not None:
            why = lineage.problem(where, self.seen, doc, "this run read")
            if why:
                raise LedgerError(f"{why}: nothing was written (a proxy, a restarted service or a stale replica?)")
        elif doc is not None:
            raise LedgerError(
                f"a ledger appeared at {where} (serial {doc.get('serial')}) after this run read none there: nothing "
                "was written (the plan was made without it); run plan again"
            )

    def _remember(self) -> None:
        if self.memory is not None and self.seen is not None:
            self.memory.keep(self.backend.describe(), self.seen)

    def _load(self, raw: Doc) -> None:
        where = self.backend.describe()
        version = raw.get("version", FORMAT_VERSION) if isinstance(raw, dict) else FORMAT_VERSION
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise LedgerError(
                f"the ledger at {where} has format version {version!r}, written by a newer qcdeploy "
                f"(this one reads version {FORMAT_VERSION}); upgrade qcdeploy"
            )
        try:
            bytes.fromhex(str(raw["salt"]))
        except (KeyError, TypeError, ValueError):
            raise LedgerError(
                f"the ledger at {where} has no valid salt (hex expected); restore it from backup"
            ) from None
        try:
            self.entries = {name: _entry(name, e) for name, e in raw["deployments"].items()}
            self.journal = {name: journal.from_json(name, j, _entry) for name, j in (raw.get("journal") or {}).items()}
            passes = raw.get("backtests")
            self.backtests = {str(k): dict(v) for k, v in (passes or {}).items() if isinstance(v, dict)}
            self.salt = str(raw["salt"])
            self.serial = int(raw.get("serial", 0))
            kept = raw.get("history")
            self.history = [e for e in kept if isinstance(e, dict)] if isinstance(kept, list) else []
            self.seen = lineage.seen_in(raw)
            self.lineage = self.seen.lineage or self.lineage
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:  # "serial": 1e999
            raise LedgerError(f"the ledger at {where} is malformed ({exc!r}); restore it from backup") from None


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
        refs=tuple((tuple(r["path"]), str(r["ref"])) for r in raw.get("refs", [])),
        salt=str(raw.get("salt", "")),
        code_hash=str(raw.get("codeHash", "")),
    )


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
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
        **({"refs": [{"path": list(path), "ref": ref} for path, ref in entry.refs]} if entry.refs else {}),
        **({"salt": entry.salt} if entry.salt else {}),
        **({"codeHash": entry.code_hash} if entry.code_hash else {}),
    }
