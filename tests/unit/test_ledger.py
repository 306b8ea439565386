"""The ledger over a file: round trip, serial, atomic writes."""

from __future__ import annotations

import json

import pytest

from qcdeploy.errors import LedgerError
from qcdeploy.ledger.backends.file import FileBackend
from qcdeploy.ledger.store import Ledger
from qcdeploy.model import LedgerEntry


def test_ledger_round_trip_and_atomic_file(tmp_path):
    path = tmp_path / "d" / "state.json"
    ledger = Ledger.load(FileBackend(str(path)))
    ledger.put(LedgerEntry("a", 1, "L-1", {"projectId": 1}, "c", "2026-01-01 00:00:00", "t", "liquidate", True))
    again = Ledger.load(FileBackend(str(path)))
    assert again.salt == ledger.salt and again.entries == ledger.entries
    assert json.loads(path.read_text())["serial"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temp files left behind
    again.remove("a")
    assert Ledger.load(FileBackend(str(path))).entries == {}


class _Served(FileBackend):
    """A backend that hands over a document as a state service's JSON decoder would (1e999 reads as inf)."""

    def __init__(self, doc):
        super().__init__("unused.json")
        self.doc = doc

    def describe(self):
        return "https://state.example/ledger"

    def read(self):
        return self.doc


def test_a_non_finite_serial_from_any_backend_is_a_ledger_error():
    doc = {"version": 1, "serial": float("inf"), "salt": "00ff", "deployments": {}}
    with pytest.raises(LedgerError, match=r"state\.example/ledger is malformed"):
        Ledger.load(_Served(doc))
