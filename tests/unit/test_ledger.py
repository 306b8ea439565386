"""The ledger over a file: round trip, serial, atomic writes."""

from __future__ import annotations

import json

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
