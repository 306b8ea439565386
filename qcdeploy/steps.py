"""The steps of one change (compile, stop, create, ledger update), each safe to interrupt or repeat."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from qcdeploy import live
from qcdeploy.api import Api
from qcdeploy.client import AmbiguousWrite
from qcdeploy.errors import ApiError, LedgerError, QcdeployError
from qcdeploy.fingerprint import recorded_fields
from qcdeploy.ledger import Ledger
from qcdeploy.model import Change, LedgerEntry, LiveDeployment
from qcdeploy.waiting import Poller


class Outcome(str, Enum):
    DONE = "done"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


@dataclass
class Result:
    """What happened to one change so far."""

    change: Change
    outcome: Outcome = Outcome.NOT_ATTEMPTED
    detail: str = ""
    compile_id: str | None = None
    project_modified: str | None = None
    deploy_id: str | None = None
    stopped: bool = False  # its old deployment is gone: a replace must now be finished


class StepFailed(QcdeployError):
    """One step of one change failed; the others carry on."""


class Interrupted(QcdeployError):
    """Ctrl-C or SIGTERM cut a wait short before anything irreversible happened."""


@dataclass
class Steps:
    """Talks to the API for one change at a time; writes the ledger after every step that succeeds."""

    api: Api
    ledger: Ledger
    poller: Poller
    log: Callable[[str, str], None]
    timeout: float = 900.0
    wait_running: bool = True
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))

    # -- compile -----------------------------------------------------------------------------

    def compile(self, r: Result) -> None:
        d = r.change.desired
        assert d is not None
        pid, pinned = d.project.project_id, d.manifest.spec["compile"]
        if pinned != "latest":
            state = self.api.compile_read(pid, pinned).get("state")
            if state != "BuildSuccess":
                raise StepFailed(f"compile {pinned} of project {pid} is {state}, not BuildSuccess")
            r.compile_id = pinned
            return
        # read before compiling: a later edit then shows as a code change (safe), never the reverse
        r.project_modified = str(self.api.project(pid).get("modified") or "") or None
        compile_id = str(self.api.compile_create(pid).get("compileId") or "")
        if not compile_id:
            raise StepFailed("compile/create returned no compileId")
        self.log(r.change.name, f"compiling project {pid} ({compile_id})")
        answer, finished = self.poller.until(
            lambda: self.api.compile_read(pid, compile_id),
            lambda a: a.get("state") in ("BuildSuccess", "BuildError"),
            self.timeout,
            self._progress(r, "the compile"),
        )
        if not finished and self.poller.cancel.is_set():
            raise Interrupted(f"interrupted while compiling {compile_id}; nothing was stopped")
        if not finished:
            raise StepFailed(f"compile {compile_id} did not finish within {self.timeout:g}s; nothing was stopped")
        if answer.get("state") == "BuildError":
            logs = "\n    ".join(str(line) for line in answer.get("logs") or []) or "(no compiler output)"
            raise StepFailed(f"compile {compile_id} failed (BuildError); nothing was stopped:\n    {logs}")
        r.compile_id = compile_id
        self.log(r.change.name, f"compiled {compile_id}")

    # -- stop --------------------------------------------------------------------------------

    def stop(self, r: Result) -> None:
        c = r.change
        assert c.observed is not None
        pid, planned = c.observed.project_id, c.observed.deploy_id
        current = self.read(pid)
        if current.deploy_id != planned:
            raise StepFailed(
                f"project {pid} now runs {current.deploy_id}, not {planned} as planned; nothing was stopped"
            )
        if current.active:
            verb = "liquidate" if c.liquidate else "stop"
            self.log(c.name, f"{verb} {planned} (project {pid})")
            final = self._stop_until_inactive(r, pid, planned)
            self.log(c.name, f"{planned} is {final.status}")
        r.stopped = True
        if c.entry is not None:
            self.ledger.remove(c.entry.name)
        if not c.creates:
            r.outcome, r.detail = Outcome.DONE, f"{planned} {'liquidated' if c.liquidate else 'stopped'}"

    def _stop_until_inactive(self, r: Result, pid: int, planned: str) -> LiveDeployment:
        """Send the stop; while its answer is lost and nothing moves, send it again, to the same deployment only."""

        def gone(d: LiveDeployment) -> bool:
            return not d.active or d.deploy_id != planned

        deadline = time.monotonic() + self.timeout
        grace = max(10 * self.poller.interval, 5.0)
        confirmed = self._send_stop(r, pid)
        while True:
            left = deadline - time.monotonic()
            window = left if confirmed else min(grace, left)
            progress = self._progress(r, "the stop")
            final, finished = self.poller.until(lambda: self.read(pid), gone, window, progress, cancellable=False)
            if finished:
                return final
            if time.monotonic() >= deadline:
                raise StepFailed(f"{planned} still {final.status} {self.timeout:g}s after the stop was sent")
            self.log(r.change.name, f"no sign of the stop yet; sending it again to {planned}")
            confirmed = self._send_stop(r, pid)

    def _send_stop(self, r: Result, pid: int) -> bool:
        """True when the API confirmed it; False when the answer was lost (it may have landed)."""
        try:
            self.api.live_stop(pid, r.change.liquidate)
            return True
        except AmbiguousWrite as exc:
            self.log(r.change.name, f"{exc}; checking the deployment's status")
            return False
        except ApiError:
            if self.read(pid).active:  # "not running" after a lost first answer means it worked
                raise
            return True

    def read(self, pid: int) -> LiveDeployment:
        return live.deployment(self.api.live_read(pid), pid)

    def _read_or_none(self, pid: int) -> LiveDeployment | None:
        try:
            return self.read(pid)
        except ApiError:
            return None

    # -- create ------------------------------------------------------------------------------

    def create(self, r: Result) -> None:
        d = r.change.desired
        assert d is not None and r.compile_id is not None
        pid = d.project.project_id
        # what ran before, as the plan saw it (and a replace stopped): a new deployId after an unclear answer is ours
        before = r.change.observed.deploy_id if r.change.observed is not None else None
        self.log(d.name, f"deploying project {pid} on node {d.node.name or d.node.id}")
        deploy_id = self._create_once(r, before)
        r.deploy_id = deploy_id
        try:
            self._record(r, deploy_id)
        except LedgerError as exc:
            raise StepFailed(
                f"DEPLOYED {deploy_id}, BUT IT IS NOT RECORDED: {exc}. The deployment is live; once the ledger can be "
                f"written, run `qcdeploy adopt {d.name}` (the next plan lists it as unmanaged until then)"
            ) from None
        if self.wait_running and not self.poller.cancel.is_set():
            self._wait_running(r, pid, deploy_id)
        else:
            r.outcome, r.detail = Outcome.DONE, f"deployed {deploy_id} (not waiting until it runs)"

    def _create_once(self, r: Result, before: str | None) -> str:
        """At most one deployment per create: after an unclear answer, look before sending again."""
        pid = r.change.project_id
        for attempt in range(3):
            if attempt:
                now = self._read_or_none(pid)
                if now is not None and now.active and now.deploy_id != before:
                    self.log(r.change.name, f"it was deployed: {now.deploy_id}")
                    return now.deploy_id
                self.log(r.change.name, "it was not deployed; sending it again")
            try:
                deploy_id = deploy_id_of(self.api.live_create(self.create_body(r)))
            except AmbiguousWrite as exc:
                self.log(r.change.name, f"{exc}; checking whether it was deployed")
                continue
            except ApiError:
                if attempt == 0:
                    raise
                continue  # e.g. "already has an active deployment": the next look tells
            if not deploy_id:
                raise StepFailed("live/create returned no deployId")
            return deploy_id
        now = self._read_or_none(pid)
        if now is not None and now.active and now.deploy_id != before:
            return now.deploy_id
        raise StepFailed("could not tell whether live/create took effect; run plan to see the project's state")

    def create_body(self, r: Result) -> dict[str, Any]:
        """The desired fields as /live/create takes them: the compile we built (or pinned) in place of `compile`."""
        d = r.change.desired
        assert d is not None
        body = {key: value for key, value in d.fields.items() if key != "compile"}
        body["compileId"] = r.compile_id
        return body

    def _record(self, r: Result, deploy_id: str) -> None:
        d = r.change.desired
        assert d is not None
        spec = d.manifest.spec
        self.ledger.put(
            LedgerEntry(
                name=d.name,
                project_id=d.project.project_id,
                deploy_id=deploy_id,
                spec=recorded_fields(d, self.ledger.salt),
                compile_id=r.compile_id,
                project_modified=r.project_modified,
                applied_at=self.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                on_stop=spec["onStop"],
                protect=bool(spec["protect"]),
            )
        )

    def _wait_running(self, r: Result, pid: int, deploy_id: str) -> None:
        seen: list[str] = []

        def probe() -> LiveDeployment:
            dep = live.deployment(self.api.live_read(pid, deploy_id), pid)
            if not seen or seen[-1] != dep.status:
                seen.append(dep.status)
                self.log(r.change.name, f"{deploy_id} {dep.status}")
            return dep

        final, finished = self.poller.until(
            probe, lambda d: d.status == "Running" or not d.active, self.timeout, self._progress(r, deploy_id)
        )
        if final.status == "Running":
            r.outcome, r.detail = Outcome.DONE, f"{deploy_id} Running"
        elif not finished and self.poller.cancel.is_set():
            r.outcome, r.detail = Outcome.DONE, f"deployed {deploy_id} ({final.status}; stopped waiting)"
        elif not finished:
            raise StepFailed(
                f"{deploy_id} still {final.status} after {self.timeout:g}s (it is recorded; plan shows it)"
            )
        else:
            raise StepFailed(f"{deploy_id} ended in {final.status}: {final.error or 'no error message'}")

    # -- update ------------------------------------------------------------------------------

    def update(self, r: Result) -> None:
        c = r.change
        assert c.entry is not None and c.desired is not None
        spec = c.desired.manifest.spec
        self.ledger.put(replace(c.entry, on_stop=spec["onStop"], protect=bool(spec["protect"])))
        r.outcome, r.detail = Outcome.DONE, "ledger updated"

    # -- helpers -------------------------------------------------------------------------------

    def _progress(self, r: Result, what: str) -> Callable[[float], None]:
        return lambda seconds: self.log(r.change.name, f"still waiting for {what} ({seconds:.0f}s)")


def deploy_id_of(answer: dict[str, Any]) -> str:
    """live/create answers deployId at the top; some answers only carry it inside `live`."""
    nested = answer.get("live")
    return str(answer.get("deployId") or (nested.get("deployId") if isinstance(nested, dict) else "") or "")
