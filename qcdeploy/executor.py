"""Carries out a Plan: compile, then stop, then create, writing the ledger after every step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from qcdeploy import live
from qcdeploy.api import Api
from qcdeploy.client import AmbiguousWrite
from qcdeploy.errors import ApiError, QcdeployError
from qcdeploy.fingerprint import recorded_fields
from qcdeploy.ledger import Ledger
from qcdeploy.model import Action, Change, LedgerEntry, LiveDeployment
from qcdeploy.redact import scrub
from qcdeploy.waiting import Poller


class Outcome(str, Enum):
    DONE = "done"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"


@dataclass
class Result:
    """What happened to one change."""

    change: Change
    outcome: Outcome = Outcome.NOT_ATTEMPTED
    detail: str = ""
    compile_id: str | None = None
    project_modified: str | None = None
    deploy_id: str | None = None


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout: float = 600.0
    parallelism: int = 4


class StepFailed(QcdeployError):
    """One step of one change failed; the others carry on."""


@dataclass
class Executor:
    """Runs the three phases over a thread pool; one change's steps always stay in order."""

    api: Api
    ledger: Ledger
    options: ApplyOptions
    poller: Poller
    say: Callable[[str], None]
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    _out_lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, changes: Iterable[Change]) -> list[Result]:
        results = [Result(c) for c in changes]
        runnable = [r for r in results if not r.change.blocked]
        for r in results:
            if r.change.blocked:
                self._fail(r, f"blocked: {r.change.blocked}")
        self._phase([r for r in runnable if r.change.creates], self._compile)
        self._phase([r for r in runnable if r.change.stops and _ok_so_far(r)], self._stop)
        self._phase([r for r in runnable if r.change.creates and _ok_so_far(r)], self._create)
        self._phase([r for r in runnable if r.change.action is Action.UPDATE], self._update)
        return results

    def _phase(self, results: list[Result], step: Callable[[Result], None]) -> None:
        def guarded(r: Result) -> None:
            try:
                step(r)
            except QcdeployError as exc:
                self._fail(r, str(exc))

        with ThreadPoolExecutor(max_workers=max(1, self.options.parallelism)) as pool:
            list(pool.map(guarded, results))

    def _log(self, name: str, message: str) -> None:
        with self._out_lock:
            self.say(scrub(f"{name}: {message}"))

    def _fail(self, r: Result, detail: str) -> None:
        r.outcome, r.detail = Outcome.FAILED, detail
        self._log(r.change.name, f"FAILED: {detail}")

    # -- compile ---------------------------------------------------------------------------

    def _compile(self, r: Result) -> None:
        d = r.change.desired
        assert d is not None
        pid = d.project.project_id
        pinned = d.manifest.spec["compile"]
        if pinned != "latest":
            state = self.api.compile_read(pid, pinned).get("state")
            if state != "BuildSuccess":
                raise StepFailed(f"compile {pinned} of project {pid} is {state}, not BuildSuccess")
            r.compile_id = pinned
            return
        r.project_modified = str(self.api.project(pid).get("modified") or "") or None
        compile_id = str(self.api.compile_create(pid).get("compileId") or "")
        if not compile_id:
            raise StepFailed("compile/create returned no compileId")
        self._log(r.change.name, f"compiling project {pid} ({compile_id})")
        answer, finished = self.poller.until(
            lambda: self.api.compile_read(pid, compile_id),
            lambda a: a.get("state") in ("BuildSuccess", "BuildError"),
            self.options.timeout,
        )
        if not finished:
            raise StepFailed(f"compile {compile_id} did not finish within {self.options.timeout:g}s")
        if answer.get("state") == "BuildError":
            logs = "\n    ".join(str(line) for line in answer.get("logs") or []) or "(no compiler output)"
            raise StepFailed(f"compile {compile_id} failed (BuildError); nothing was stopped:\n    {logs}")
        r.compile_id = compile_id
        self._log(r.change.name, f"compiled {compile_id}")

    # -- stop --------------------------------------------------------------------------------

    def _stop(self, r: Result) -> None:
        c = r.change
        assert c.observed is not None
        pid, verb = c.observed.project_id, "liquidate" if c.liquidate else "stop"
        current = self._read(pid)
        if current.deploy_id != c.observed.deploy_id:
            raise StepFailed(
                f"project {pid} now runs {current.deploy_id}, not {c.observed.deploy_id} as planned; "
                "nothing was stopped. Run plan again"
            )
        if current.active:
            self._log(c.name, f"{verb} {current.deploy_id} (project {pid})")
            self._send_stop(pid, c)
            final, finished = self.poller.until(lambda: self._read(pid), lambda d: not d.active, self.options.timeout)
            if not finished:
                raise StepFailed(f"{current.deploy_id} still {final.status} {self.options.timeout:g}s after {verb}")
            self._log(c.name, f"{current.deploy_id} is {final.status}")
        if c.entry is not None:
            self.ledger.remove(c.entry.name)
        if not c.creates:
            r.outcome = Outcome.DONE

    def _send_stop(self, pid: int, c: Change) -> None:
        try:
            self.api.live_stop(pid, c.liquidate)
        except AmbiguousWrite as exc:
            # The stop may have landed; waiting below tells. Never re-send it blindly.
            self._log(c.name, f"{exc}; checking the deployment's status")

    def _read(self, pid: int) -> LiveDeployment:
        return live.deployment(self.api.live_read(pid), pid)

    # -- create ------------------------------------------------------------------------------

    def _create(self, r: Result) -> None:
        d = r.change.desired
        assert d is not None and r.compile_id is not None
        pid = d.project.project_id
        before = self._read_or_none(pid)
        self._log(d.name, f"deploying project {pid} on node {d.node.name or d.node.id}")
        try:
            deploy_id = _deploy_id(self.api.live_create(self._create_body(r)))
        except AmbiguousWrite as exc:
            deploy_id = self._reconcile_create(r, before, exc)
        if not deploy_id:
            raise StepFailed("live/create returned no deployId")
        r.deploy_id = deploy_id
        self._record(r, deploy_id)
        if self.options.wait:
            self._wait_running(r, pid, deploy_id)
        else:
            r.outcome, r.detail = Outcome.DONE, f"deployed {deploy_id} (not waiting)"

    def _create_body(self, r: Result) -> dict[str, Any]:
        d = r.change.desired
        assert d is not None
        spec = d.manifest.spec
        body = {
            "projectId": d.project.project_id,
            "compileId": r.compile_id,
            "nodeId": d.node.id,
            "versionId": spec["versionId"],
            "brokerage": spec["brokerage"],
            "dataProviders": spec["dataProviders"],
            "parameters": spec["parameters"],
            "automaticRedeploy": spec["automaticRedeploy"],
        }
        if "notification" in spec:
            body["notification"] = spec["notification"]
        return body

    def _read_or_none(self, pid: int) -> LiveDeployment | None:
        try:
            return self._read(pid)
        except ApiError:
            return None

    def _reconcile_create(self, r: Result, before: LiveDeployment | None, exc: AmbiguousWrite) -> str:
        """The create's answer was lost: look before leaping again."""
        pid = r.change.project_id
        self._log(r.change.name, f"{exc}; checking whether it was deployed")
        now = self._read_or_none(pid)
        if now is not None and now.active and (before is None or now.deploy_id != before.deploy_id):
            self._log(r.change.name, f"it was: {now.deploy_id}")
            return now.deploy_id
        self._log(r.change.name, "it was not; deploying again")
        return _deploy_id(self.api.live_create(self._create_body(r)))

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
                self._log(r.change.name, f"{deploy_id} {dep.status}")
            return dep

        final, finished = self.poller.until(
            probe, lambda d: d.status == "Running" or not d.active, self.options.timeout
        )
        if final.status == "Running":
            r.outcome, r.detail = Outcome.DONE, f"{deploy_id} Running"
        elif not finished:
            raise StepFailed(
                f"{deploy_id} still {final.status} after {self.options.timeout:g}s (it is recorded; plan shows it)"
            )
        else:
            raise StepFailed(f"{deploy_id} ended in {final.status}: {final.error or 'no error message'}")

    # -- update ------------------------------------------------------------------------------

    def _update(self, r: Result) -> None:
        c = r.change
        assert c.entry is not None and c.desired is not None
        spec = c.desired.manifest.spec
        self.ledger.put(replace(c.entry, on_stop=spec["onStop"], protect=bool(spec["protect"])))
        r.outcome, r.detail = Outcome.DONE, "ledger updated"


def _deploy_id(answer: dict[str, Any]) -> str:
    """live/create answers deployId at the top; some answers only carry it inside `live`."""
    nested = answer.get("live")
    return str(answer.get("deployId") or (nested.get("deployId") if isinstance(nested, dict) else "") or "")


def _ok_so_far(r: Result) -> bool:
    return r.outcome is not Outcome.FAILED
