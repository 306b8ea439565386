"""The ledger's read-modify-write against a backend whose reads go wrong: never a write built on a read that did
not see the ledger this run read; a first write to an empty location still works; the checkout's memory."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from qcdeploy.errors import LedgerError
from qcdeploy.ledger.backends.base import Change, Doc
from qcdeploy.ledger.lineage import Memory, Seen, problem
from qcdeploy.ledger.store import Ledger
from qcdeploy.model import LedgerEntry


class Flaky:
    """A backend in memory whose next reads answer what the test queues: None (404), or an old document."""

    def __init__(self) -> None:
        self.doc: Doc | None = None
        self.answers: list[Doc | None] = []
        self.writes = 0

    def describe(self) -> str:
        return "memory:test"

    def read(self) -> Doc | None:
        return copy.deepcopy(self.answers.pop(0) if self.answers else self.doc)

    def update(self, change: Change, message: str) -> Doc:
        doc = change(self.read())
        self.doc, self.writes = copy.deepcopy(doc), self.writes + 1
        return doc

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        pass

    def unlock(self, lock_id: str) -> None:
        pass

    def force_unlock(self, lock_id: str) -> Doc:
        return {}

    @property
    def stored(self) -> Doc:
        assert self.doc is not None
        return self.doc


def entry(name):
    return LedgerEntry(name, 1, f"L-{name}", {"projectId": 1}, "c", "2026-01-01 00:00:00", "t", "stop", False)


def seeded():
    backend = Flaky()
    ledger = Ledger.load(backend)
    ledger.put(entry("a"))
    ledger.put(entry("b"))
    return backend, ledger


@pytest.mark.parametrize("answer", ["none", "older", "other-lineage"])
def test_a_write_on_a_read_that_did_not_see_the_ledger_is_refused(answer):
    backend, ledger = seeded()
    older = {**copy.deepcopy(backend.stored), "serial": 1}
    other = {**copy.deepcopy(backend.stored), "lineage": "another"}
    backend.answers = [{"none": None, "older": older, "other-lineage": other}[answer]]
    with pytest.raises(LedgerError, match="nothing was written"):
        ledger.put(entry("c"))
    assert set(backend.stored["deployments"]) == {"a", "b"} and backend.writes == 2


def test_a_ledger_that_appears_after_the_run_read_none_is_not_written_over():
    backend = Flaky()
    ledger = Ledger.load(backend)
    Ledger.load(backend).put(entry("theirs"))
    with pytest.raises(LedgerError, match="appeared"):
        ledger.put(entry("mine"))
    assert set(backend.stored["deployments"]) == {"theirs"}


def test_a_ledger_from_before_lineages_gets_one_and_keeps_working():
    backend, _ = seeded()
    del backend.stored["lineage"]
    ledger = Ledger.load(backend)
    ledger.put(entry("c"))
    ledger.put(entry("d"))
    assert len(backend.stored["lineage"]) == 36 and set(backend.stored["deployments"]) == {"a", "b", "c", "d"}


def test_newer_serial_written_by_another_is_kept():
    backend, ledger = seeded()
    Ledger.load(backend).put(entry("theirs"))
    ledger.put(entry("c"))
    assert set(backend.stored["deployments"]) == {"a", "b", "theirs", "c"}


def test_the_checkout_remembers_what_it_read(tmp_path):
    memory = Memory(tmp_path / ".qcdeploy" / "lineage.json")
    backend = Flaky()
    Ledger.load(backend, memory).put(entry("a"))
    assert memory.recall("memory:test") == Seen(backend.stored["lineage"], 1)
    assert (tmp_path / ".qcdeploy" / ".gitignore").exists()
    backend.answers = [None]
    with pytest.raises(LedgerError, match="this checkout last read"):
        Ledger.load(backend, memory)
    assert Ledger.load(backend, memory).entries.keys() == {"a"}  # the next honest read is fine


def test_a_memory_that_cannot_be_read_is_no_memory(tmp_path):
    (tmp_path / "m.json").write_text("{not json")
    assert Memory(tmp_path / "m.json").recall("x") is None
    assert problem("x", Seen(None, 3), {"serial": 3, "lineage": "new"}, "then") is None  # unknown lineage: any
