"""Status of the deployments apply waits on: one live/list read answers all of them at once.

While a single deployment is waited on, it is read on its own (`live/read`: a small answer). Once two or more
are, one `live/list` (qc-api §3: every deployment of the account, with `status` and `error`) serves every
waiter that asks within `fresh` seconds of it, instead of one `live/read` each. A deployment the list does not
show yet is read on its own, and any read that fails is "not known yet" (None), never a verdict.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from qcdeploy.errors import ApiError
from qcdeploy.model import LiveDeployment
from qcdeploy.quantconnect import decode as live
from qcdeploy.quantconnect.endpoints import Api


class StatusBoard:
    # deployId -> raw row, parsed only when asked for; typed here, as mutmut copies __init__ once per mutant
    _rows: dict[str, Any]

    def __init__(self, api: Api, fresh: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.api, self.fresh, self.clock = api, fresh, clock
        self._count = threading.Lock()
        self._changed = threading.Condition()  # one live/list in flight; the others wait for its answer
        self._fetching = False
        self._generation = 0
        self._waiters = 0
        self._rows = {}
        self._read_at = float("-inf")

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Count the caller as a waiter for as long as it polls."""
        with self._count:
            self._waiters += 1
        try:
            yield
        finally:
            with self._count:
                self._waiters -= 1

    def shared(self) -> bool:
        """Several waiters poll now: one live/list answers all of them, so a read costs each of them little."""
        return self._waiters > 1

    def status(self, pid: int, deploy_id: str | None) -> LiveDeployment | None:
        """deploy_id's status (None: the project's newest deployment), or None when it cannot be known now."""
        if deploy_id is not None:
            # the last of many waiters still reads the list they shared while it is fresh: no read of its own
            row = self._listed(deploy_id) if self._waiters > 1 else self._recent(deploy_id)
            if row is not None:
                try:
                    return live.deployment(row, pid)
                except ApiError:
                    pass
        return self.read(pid, deploy_id)

    def read(self, pid: int, deploy_id: str | None = None) -> LiveDeployment | None:
        try:
            return live.deployment(self.api.live_read(pid, deploy_id), pid)
        except ApiError:
            return None

    def _recent(self, deploy_id: str) -> Any:
        with self._changed:
            return self._rows.get(deploy_id) if self.clock() - self._read_at < self.fresh else None

    def _listed(self, deploy_id: str) -> Any:
        """The row from a list asked for at most `fresh` seconds ago, or from the one in flight; else a new one."""
        asked = self.clock()
        with self._changed:
            if self._fetching:
                generation = self._generation
                while self._fetching and self._generation == generation:
                    self._changed.wait()
                return self._rows.get(deploy_id)
            if asked - self._read_at < self.fresh:
                return self._rows.get(deploy_id)
            self._fetching = True
        sent = self.clock()  # the answer is at least as fresh as the moment it was asked for
        rows: dict[str, Any] = {}
        try:
            rows = {str(row.get("deployId")): row for row in self.api.live_list() if isinstance(row, dict)}
        except ApiError:
            sent = float("-inf")  # nothing known: each waiter reads its own deployment
        with self._changed:
            self._rows, self._read_at = rows, sent
            self._fetching = False
            self._generation += 1
            self._changed.notify_all()
        return rows.get(deploy_id)
