"""Every lock wait in ledger/ ends at its deadline (--lock-timeout), whatever the lock file looks like."""

from __future__ import annotations

import json
import threading

from qcdeploy.ledger.backends import file as file_backend
from qcdeploy.ledger.backends.base import LockHeld, lock_info
from qcdeploy.ledger.backends.file import FileBackend


def test_a_stale_lock_that_cannot_be_taken_over_is_waited_for_only_until_the_deadline(tmp_path, monkeypatch):
    """A dead holder's lock that another waiter keeps replacing (the take-over never wins): the wait ends with
    the lock named as busy, never a spin past --lock-timeout."""
    backend = FileBackend(str(tmp_path / "state.json"))
    backend.lock_path.write_text(json.dumps(lock_info("apply") | {"pid": 1}))
    monkeypatch.setattr(file_backend, "same_host_and_dead", lambda holder: True)
    monkeypatch.setattr(FileBackend, "_take_over", lambda self, holder: False)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            backend.lock(lock_info("apply"), 0.1, lambda text: None)
        except BaseException as exc:  # the thread reports whatever ended it
            outcome.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(timeout=30)  # a bound for a broken build, not a timing assertion: the wait itself is 0.1 s
    assert not waiter.is_alive(), "the lock wait ignored its deadline"
    assert len(outcome) == 1 and isinstance(outcome[0], LockHeld)
