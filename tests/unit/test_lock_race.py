"""Six processes taking over one stale lock at once: exactly one holds it, every time."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

from qcdeploy.errors import LedgerError
from qcdeploy.ledger.backends.base import lock_info
from qcdeploy.ledger.backends.file import FileBackend

TAKERS, TRIALS = 6, 50


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def take(path: str, barrier, log: str) -> None:
    backend = FileBackend(path)
    info = lock_info("apply")
    barrier.wait()
    try:
        backend.lock(info, 0.0, lambda _: None)
    except LedgerError:
        os._exit(0)
    started = time.monotonic()
    time.sleep(0.02)
    with open(log, "a", encoding="utf-8") as out:
        out.write(json.dumps([os.getpid(), started, time.monotonic()]) + "\n")
    backend.unlock(info["id"])
    os._exit(0)


def test_stale_lock_taken_over_by_exactly_one(tmp_path):
    ctx = multiprocessing.get_context("fork")
    doubles = 0
    for trial in range(TRIALS):
        path = str(tmp_path / f"state-{trial}.json")
        stale = lock_info("apply") | {"pid": dead_pid()}
        with open(path + ".lock", "w", encoding="utf-8") as out:
            json.dump(stale, out)
        log = str(tmp_path / f"holders-{trial}.jsonl")
        barrier = ctx.Barrier(TAKERS)
        procs = [ctx.Process(target=take, args=(path, barrier, log)) for _ in range(TAKERS)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(20)
        spans = [json.loads(line) for line in Path(log).read_text("utf-8").splitlines()] if os.path.exists(log) else []
        assert spans, f"trial {trial}: nobody took the stale lock"
        spans.sort(key=lambda s: s[1])
        doubles += sum(1 for a, b in itertools.pairwise(spans) if b[1] < a[2])
        assert not os.path.exists(path + ".lock")
        assert not [f for f in os.listdir(tmp_path) if f.startswith(".state-")]  # no temporary file left
    assert doubles == 0
