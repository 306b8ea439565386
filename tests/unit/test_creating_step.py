"""The create step with the API, the ledger and the clock replaced by fakes: parameters set before the journal and
live/create, one deployment per create however its answer is lost (never another tool's, never the planned
baseline), the ledger record of what was sent, and the watch until it runs, its read schedule, its verdicts and
its health window (health_step)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply import creating
from qcdeploy.apply import executor as executor_mod
from qcdeploy.apply.context import ApplyOptions, Context
from qcdeploy.apply.ending import StoppedOutside
from qcdeploy.apply.outcome import Outcome, Result, StepFailed
from qcdeploy.apply.reconcile import ForeignDeployment
from qcdeploy.apply.waiting import Poller
from qcdeploy.errors import ApiError, LedgerError
from qcdeploy.ledger.journal import CREATING, WATCHING
from qcdeploy.model import Action
from qcdeploy.planning.fingerprint import entry_for
from qcdeploy.quantconnect.transport import AmbiguousWrite
from tests.builders import SALT, T0, change, desired, entry

NEW, OLD = "L-new", "L-old"
LOST = AmbiguousWrite("live/create: the connection failed")
MODIFIED = "2026-11-01 00:00:00"  # the project's `modified` as the compile read it
BEFORE_SEND = "2026-11-01 00:00:00"  # launched before the create was sent (the Date header says 00:05:00)
DATE = "Sun, 01 Nov 2026 00:05:00 GMT"


def row(deploy_id: str, status: str = "Running", error: str = "", launched: str = "") -> dict[str, Any]:
    return {"projectId": 1, "deployId": deploy_id, "status": status, "error": error, "launched": launched}


def project(name: str = "P1", parameters: Any = (), modified: str | None = None) -> dict[str, Any]:
    answer = {"projectId": 1, "name": name, "parameters": [{"key": k, "value": v} for k, v in parameters]}
    return answer if modified is None else {**answer, "modified": modified}


class Api:
    """Project 1's endpoints, every call recorded in `calls` (the ledger writes there too, so their order shows).
    live/create answers from `creates` in turn; live/read of the project (a look after an unclear create) from
    `looks`; live/read of the new deployment from `statuses`, then its last one again. An exception in a list is
    raised."""

    def __init__(
        self,
        creates: Any = ({"deployId": NEW},),
        looks: Any = (),
        statuses: Any = ("Running",),
        projects: Any = (),
        date: str | None = None,
    ) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.creates, self.looks, self.projects = list(creates), list(looks), list(projects)
        self.statuses = list(statuses)
        self.client = SimpleNamespace(server_date=date)
        self.clock: Callable[[], float] = lambda: 0.0
        self.on_status: Callable[[], None] = lambda: None

    def project(self, pid: int) -> Any:
        assert pid == 1, pid
        self.calls.append(("projects/read", pid))
        return self.projects.pop(0)

    def set_parameters(self, pid: int, name: str, parameters: Any) -> None:
        self.calls.append(("projects/update", pid, name, dict(parameters)))

    def live_create(self, body: Any) -> Any:
        self.calls.append(("live/create", body))
        return _answer(self.creates.pop(0))

    def live_read(self, pid: int, deploy_id: str | None = None) -> Any:
        assert pid == 1, pid
        if deploy_id is None:
            self.calls.append(("look", pid))
            return _answer(self.looks.pop(0))
        return self._status(("live/read", pid, deploy_id))

    def live_list(self) -> Any:
        return [self._status(("live/list",))]

    def _status(self, call: tuple[Any, ...]) -> Any:
        self.calls.append((*call, self.clock()))
        self.on_status()
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return _answer(row(NEW, status) if isinstance(status, str) else status)

    def live_stop(self, pid: int, liquidate: bool = False) -> None:
        self.calls.append(("live/stop", pid))

    def project_live_nodes(self, pid: int) -> Any:
        return []

    def live_logs(self, pid: int, deploy_id: str, start: int, end: int) -> Any:
        self.calls.append(("live/logs/read", pid, deploy_id))
        return {"length": 1, "deploymentOffset": 0, "logs": ["Runtime Error: boom"]}

    def reads(self) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] in ("live/read", "live/list")]

    def kinds(self) -> list[str]:
        return [str(c[0]) for c in self.calls]


def _answer(answer: Any) -> Any:
    if isinstance(answer, Exception):
        raise answer
    return answer


class Ledger:
    """Journal writes, records and settles into the API's list of calls; `fails` names the writes that fail."""

    salt = SALT

    def __init__(self, calls: list[tuple[Any, ...]], fails: tuple[str, ...] = ()) -> None:
        self.calls, self.fails = calls, fails

    def begin(self, j: Any, forget: bool = False, record: Any = None) -> None:
        if ("record" if record is not None else "journal") in self.fails:
            raise LedgerError("the ledger cannot be written")
        self.calls.append(("journal", j.step, j.baseline, j.deploy_id, record))

    def put(self, entry: Any) -> None:
        self.calls.append(("put", entry))

    def settle(self, done: Any, flat: Any = ()) -> None:
        self.calls.append(("settle", list(done)))


@dataclass(frozen=True)
class Ticking(Poller):
    """A poller whose pauses move its clock instead of sleeping."""

    now: list[float] = field(default_factory=lambda: [100.0])

    def _pause(self, seconds: float, cancellable: bool) -> None:
        self.now[0] += seconds


@dataclass
class Run:
    """One step run: the fakes it used, its result, what it logged and the StepFailed it raised, if any."""

    api: Api
    ctx: Context
    r: Result
    logged: list[tuple[Any, Any]]
    error: Exception | None = None

    def said(self, text: str) -> bool:
        return any(text in str(message) for _, message in self.logged)


def context(api: Api, fails: tuple[str, ...] = (), **options: Any) -> tuple[Context, list[tuple[Any, Any]]]:
    """A real Context over the fakes, its clock at 100 s, moved only by the poller's pauses; and its log lines."""
    now = [100.0]
    poller = Ticking(interval=1.0, max_interval=10.0, clock=lambda: now[0], now=now)
    api.clock = lambda: now[0] - 100.0  # seconds after the step began, as each read records it
    logged: list[tuple[Any, Any]] = []
    ctx = Context(
        api,  # type: ignore[arg-type]
        Ledger(api.calls, fails),  # type: ignore[arg-type]
        poller,
        lambda name, message: logged.append((name, message)),
        ApplyOptions(**{"timeout": 60.0, **options}),
        baseline={1: OLD},
        now=lambda: T0,
    )
    return ctx, logged


def result(current: dict[str, str] | None = None, wanted: dict[str, str] | None = None, **kw: Any) -> Result:
    d = desired()
    d = replace(d, project=replace(d.project, parameters=current or {}))
    body = {"projectId": 1, "nodeId": "LN-1", "compileId": "c-1", "parameters": wanted or {}}
    kw = {"compile_id": "c-1", "project_modified": MODIFIED, "code_hash": "h-1", "body": body, **kw}
    return Result(change(Action.CREATE, desired=d), **kw)


def checked(logged: list[tuple[Any, Any]]) -> None:
    """Every line the step logs is a message under the change's name."""
    assert all(name == "m" and isinstance(message, str) for name, message in logged), logged


def create(api: Api, r: Result | None = None, fails: tuple[str, ...] = (), cancel: bool = False, **options: Any) -> Run:
    ctx, logged = context(api, fails, **options)
    if cancel:
        ctx.poller.cancel.set()
    run = Run(api, ctx, r or result(), logged)
    try:
        creating.create_step(ctx, run.r)
    except StepFailed as exc:
        run.error = exc
    checked(logged)
    return run


def recorded(run: Run) -> Any:
    return next(c[4] for c in run.api.calls if c[0] == "journal" and c[4] is not None)


# create_step: parameters, journal, live/create, record, watch


def test_parameters_are_set_before_the_journal_and_the_create_and_the_record_keeps_the_update_modified():
    api = Api(projects=[project("P1 renamed"), project(modified="2026-11-02 00:00:00")])
    run = create(api, result(current={}, wanted={"fast": "10"}))
    body = run.r.body
    assert api.kinds() == [
        "projects/read",
        "projects/update",
        "projects/read",
        "journal",
        "live/create",
        "journal",
        "live/read",
    ]
    assert api.calls[1] == ("projects/update", 1, "P1 renamed", {"fast": "10"})
    assert api.calls[3][:4] == ("journal", CREATING, OLD, "") and api.calls[4] == ("live/create", body)
    assert api.calls[5][:4] == ("journal", WATCHING, OLD, NEW)
    d = run.r.change.desired
    assert d is not None
    assert recorded(run) == entry_for(d, NEW, SALT, "c-1", "2026-11-02 00:00:00", "2026-11-01T00:00:00Z", "h-1")
    assert (run.r.deploy_id, run.r.outcome, run.r.detail, run.r.window_due) == (
        NEW,
        Outcome.DONE,
        "L-new Running",
        True,
    )
    assert run.said("deploying project 1 on node n1") and run.said(f"live/create answered: {NEW}")
    assert run.said("project 1 parameters set (1)")


@pytest.mark.parametrize(
    "projects, sent",
    [
        ([project(parameters=[("fast", "10")])], ["projects/read"]),  # an earlier step of the change set them
        ([project(), project()], ["projects/read", "projects/update", "projects/read"]),  # answer without `modified`
    ],
)
def test_the_record_keeps_the_compiles_modified_when_the_update_gives_none(projects, sent):
    run = create(Api(projects=projects), result(current={}, wanted={"fast": "10"}))
    assert [k for k in run.api.kinds() if k.startswith("projects")] == sent
    assert recorded(run).project_modified == MODIFIED


def test_parameters_already_in_place_are_neither_read_nor_sent():
    for r in (result(current={"fast": "10"}, wanted={"fast": "10"}), result(wanted={"x": "1"}, parameters_set=True)):
        run = create(Api(), r)
        assert run.api.kinds()[0] == "journal" and recorded(run).project_modified == MODIFIED


def test_a_create_without_a_checked_body_sends_nothing():
    with pytest.raises(AssertionError):
        create(Api(), result(body=None, parameters_set=True))


def test_a_create_that_cannot_be_recorded_says_it_is_deployed_and_how_to_adopt_it():
    run = create(Api(), fails=("record",), environment="prod")
    assert isinstance(run.error, creating.Unrecorded) and run.r.outcome is Outcome.NOT_ATTEMPTED
    said = str(run.error)
    assert said.startswith("DEPLOYED L-new, BUT IT IS NOT RECORDED: the ledger cannot be written")
    assert "run `qcdeploy adopt --env prod m`" in said and "lists it as unmanaged until then" in said
    assert run.api.reads() == []  # not watched


def test_a_create_the_journal_cannot_announce_is_not_sent():
    run = create(Api(), fails=("journal",))
    assert "nothing was deployed" in str(run.error) and "live/create" not in run.api.kinds()


def test_another_tools_deployment_after_a_lost_create_is_not_recorded_and_leaves_the_journal():
    api = Api(creates=[LOST], looks=[row("L-theirs", launched=BEFORE_SEND)], date=DATE)
    run = create(api)
    assert isinstance(run.error, ForeignDeployment) and "qcdeploy adopt m" in str(run.error)
    assert api.calls[-1] == ("settle", ["m"]) and run.r.journal is None
    assert api.kinds().count("live/create") == 1 and run.r.deploy_id is None


def test_a_lost_create_looks_past_the_planned_baseline_only():
    api = Api(creates=[LOST, {"deployId": "L-second"}], looks=[row(OLD)])
    run = create(api)
    assert run.r.deploy_id == "L-second" and api.kinds().count("live/create") == 2
    assert run.said("it was not deployed; sending it again")


def test_without_wait_the_deployment_is_recorded_and_not_watched():
    run = create(Api(), wait=False)
    assert run.r.detail == "deployed L-new (not waiting until it runs)" and run.r.outcome is Outcome.DONE
    assert run.api.reads() == [] and not run.r.window_due and recorded(run).deploy_id == NEW


def test_an_interrupt_before_the_watch_says_the_deployment_is_not_yet_seen_running():
    run = create(Api(), cancel=True)
    assert run.r.detail.startswith("deployed L-new, NOT YET SEEN RUNNING: the apply was interrupted")
    assert "(`qcdeploy status` shows how it came up" in run.r.detail
    assert run.api.reads() == [] and not run.r.window_due and run.r.outcome is Outcome.DONE


@pytest.mark.parametrize("window, due", [(30.0, True), (1.0, True), (0.5, True), (0.0, False)])
def test_the_health_window_is_left_to_health_step(window, due):
    run = create(Api(), health_window=window)
    assert run.r.window_due is due and len(run.api.reads()) == 1 and run.r.detail == "L-new Running"


def test_a_deployment_that_does_not_come_up_fails_with_its_log_and_stays_recorded():
    run = create(Api(statuses=["InQueue", row(NEW, "RuntimeError", "boom")]))
    assert isinstance(run.error, creating.CreateFailed) and str(run.error) == "L-new ended in RuntimeError: boom"
    assert ("live/logs/read", 1, NEW) in run.api.calls and run.r.log_of == NEW
    assert run.r.logs == ("Runtime Error: boom",) and recorded(run).deploy_id == NEW


def test_a_replace_deployed_but_not_recorded_is_not_rolled_back(monkeypatch):
    """Its new deployment is live, as the failure says: a rollback would stop it and send the old spec again,
    which a ledger that cannot be written cannot record either."""
    ready = result()
    monkeypatch.setattr(executor_mod, "compile_step", lambda ctx, r: setattr(r, "body", ready.body))
    monkeypatch.setattr(executor_mod, "preflight_step", lambda ctx, r: None)
    monkeypatch.setattr(executor_mod, "stop_step", lambda ctx, r: setattr(r, "stopped", True))
    api = Api(
        creates=[{"deployId": NEW}, {"deployId": "L-back"}], looks=[row(NEW, "InQueue")] + [row(NEW, "Stopped")] * 9
    )
    ctx, _ = context(api, fails=("record",))
    d = ready.change.desired
    assert d is not None
    [r] = executor_mod.Executor(ctx).run([change(Action.REPLACE, desired=d, entry=entry(d))])
    assert "live/stop" not in api.kinds() and api.kinds().count("live/create") == 1
    assert r.outcome is Outcome.FAILED and r.detail.startswith("DEPLOYED L-new, BUT IT IS NOT RECORDED") and not r.flat
    assert r.lasting  # the summary does not say "run apply again; what was done is recorded in the ledger"


# launch: one deployment per create


def launch(api: Api) -> tuple[str | Exception, list[tuple[Any, Any]]]:
    ctx, logged = context(api)
    try:
        got: str | Exception = creating.launch(ctx, "m", 1, {"nodeId": "LN-1"}, OLD)
    except StepFailed as exc:
        got = exc
    checked(logged)
    return got, logged


def test_a_refused_create_fails_at_once_with_the_apis_reason():
    api = Api(creates=[ApiError("live/create: HTTP 400 the node is busy")])
    got, _ = launch(api)
    assert isinstance(got, creating.CreateFailed) and str(got) == "live/create: HTTP 400 the node is busy"
    assert api.kinds() == ["live/create"]


def test_an_answer_without_a_deploy_id_is_a_failed_create():
    got, _ = launch(Api(creates=[{"success": True}]))
    assert isinstance(got, creating.CreateFailed) and "no deployId" in str(got)


def test_a_create_whose_answer_is_always_lost_is_sent_at_most_three_times():
    api = Api(creates=[LOST] * 4, looks=[row(OLD)] * 4)
    got, logged = launch(api)
    assert isinstance(got, creating.CreateFailed) and "could not tell whether live/create took effect" in str(got)
    assert api.kinds() == ["live/create", "look", "live/create", "look", "live/create", "look"]
    assert sum("checking whether it was deployed" in m for _, m in logged) == 3


def test_after_a_failed_look_the_project_is_looked_at_again_before_any_send():
    api = Api(creates=[LOST, {"deployId": "L-second"}], looks=[ApiError("live/read: HTTP 500"), row(OLD)])
    got, logged = launch(api)
    assert got == "L-second" and api.kinds() == ["live/create", "look", "look", "live/create"]
    assert any("cannot tell whether it was deployed" in m for _, m in logged)


def test_a_refusal_after_a_lost_answer_is_looked_into_and_sent_again_when_nothing_was_deployed():
    refused = ApiError("live/create: already has an active deployment")
    api = Api(creates=[LOST, refused, {"deployId": "L-third"}], looks=[row(OLD), row(OLD)])
    assert launch(api)[0] == "L-third" and api.kinds().count("live/create") == 3


def test_the_last_look_never_takes_the_planned_baseline_for_the_new_deployment():
    unknown = ApiError("live/read: HTTP 500")
    api = Api(creates=[LOST], looks=[unknown, unknown, row(OLD)])
    got, _ = launch(api)
    assert isinstance(got, creating.CreateFailed) and api.kinds().count("live/create") == 1


@pytest.mark.parametrize("looks", [[], [ApiError("live/read: HTTP 500")] * 2])  # found at once, or at the last look
def test_a_deployment_launched_before_the_send_is_not_claimed(looks):
    api = Api(creates=[LOST], looks=[*looks, row("L-theirs", launched=BEFORE_SEND)], date=DATE)
    got, _ = launch(api)
    assert isinstance(got, ForeignDeployment) and "launched 2026-11-01 00:00:00Z, before the create" in str(got)
    assert "qcdeploy adopt m" in str(got)
    ours = Api(creates=[LOST], looks=[*looks, row(NEW, "DeployError", launched="2026-11-01 00:05:01")], date=DATE)
    assert launch(ours)[0] == NEW and ours.kinds().count("live/create") == 1


# watch: until it runs


def watch(api: Api, window: float = 0.0, learned: float | None = None, shared: bool = False) -> tuple[Any, Run]:
    ctx, logged = context(api)
    if learned is not None:
        ctx.starts.record(learned / ctx.starts.EARLY)
    run = Run(api, ctx, result(), logged)
    try:
        if shared:
            with ctx.board.waiting():  # another deployment waits too: one live/list answers both
                said: Any = creating.watch(ctx, "m", 1, NEW, window)
        else:
            said = creating.watch(ctx, "m", 1, NEW, window)
    except StepFailed as exc:
        said = exc
    checked(logged)
    return said, run


def test_the_wait_ends_at_the_first_read_that_sees_it_run_and_logs_each_status_once():
    api = Api(statuses=["InQueue", "InQueue", ApiError("live/read: HTTP 502"), "LoggingIn", "Running"])
    said, run = watch(api)
    assert said == "L-new Running" and len(api.reads()) == 5
    assert all(c[1:3] == (1, NEW) for c in api.reads())
    assert [m for _, m in run.logged] == ["L-new InQueue", "L-new LoggingIn", "L-new Running"]


@pytest.mark.parametrize(
    "statuses, took",
    [
        (["InQueue", "Running"], (1.0 + 2.5) / 2),  # between the last read that saw it wait and the first it ran
        (["Running"], (0.0 + 1.0) / 2),  # running at the first read: between the create and that read
        (["InQueue", ApiError("live/read: HTTP 502"), "Running"], (1.0 + 4.75) / 2),
    ],
)
def test_the_start_time_learned_is_halfway_between_the_last_wait_seen_and_the_first_run(statuses, took):
    _, run = watch(Api(statuses=statuses))
    assert run.ctx.starts.first_poll() == pytest.approx(0.9 * took)


@pytest.mark.parametrize(
    "learned, shared, at",
    [
        (None, False, [1.0, 2.5, 4.75, 8.125]),  # nothing learned: one interval, then x1.5
        (None, True, [1.0, 2.5, 4.0, 5.5]),  # a shared live/list: the interval is kept
        (18.0, False, [18.0, 19.0, 20.5, 22.75]),  # the fleet's pace: the first read then, the interval after
        (4.5, False, [4.5, 5.0, 5.75, 6.875]),  # a quick fleet: a ninth of it after the first read
    ],
)
def test_reads_wait_for_the_fleets_pace_and_stretch_only_when_alone(learned, shared, at):
    _, run = watch(Api(statuses=["InQueue"] * 3 + ["Running"]), learned=learned, shared=shared)
    assert [c[-1] for c in run.api.reads()] == pytest.approx(at)


def test_a_long_wait_says_it_is_still_waiting():
    said, run = watch(Api(statuses=["InQueue"]))
    assert isinstance(said, creating.CreateFailed) and run.said("waiting (")


@pytest.mark.parametrize(
    "status, said",
    [
        ("InQueue", "L-new still InQueue after 60s"),
        (ApiError("live/read: HTTP 502"), "L-new still in an unknown state (its status could not be read) after 60s"),
    ],
)
def test_a_deployment_not_running_by_the_timeout_fails(status, said):
    got, _ = watch(Api(statuses=[status]))
    assert isinstance(got, creating.CreateFailed) and str(got) == said


@pytest.mark.parametrize(
    "statuses, said",
    [
        (["InQueue"], "deployed L-new (InQueue; stopped waiting)"),
        ([ApiError("live/read: HTTP 502")], "deployed L-new (status unknown; stopped waiting)"),
    ],
)
def test_an_interrupt_during_the_wait_stops_waiting_without_a_verdict(statuses, said):
    api = Api(statuses=statuses)
    ctx, _ = context(api)
    api.on_status = ctx.poller.cancel.set
    assert creating.watch(ctx, "m", 1, NEW, 30.0) == said


def test_an_interrupt_does_not_hide_a_deployment_that_ended():
    api = Api(statuses=[row(NEW, "DeployError", "bad login")])
    ctx, _ = context(api)
    api.on_status = ctx.poller.cancel.set
    with pytest.raises(creating.CreateFailed, match="L-new ended in DeployError: bad login"):
        creating.watch(ctx, "m", 1, NEW, 30.0)


@pytest.mark.parametrize(
    "ended, kind, said",
    [
        ("Stopped", StoppedOutside, "L-new Stopped: stopped by someone else before it ran"),
        ("RuntimeError", creating.CreateFailed, "L-new ended in RuntimeError: no error message"),
    ],
)
def test_a_deployment_that_ends_before_it_runs_is_a_crash_or_someone_elses_stop(ended, kind, said):
    got, _ = watch(Api(statuses=["InQueue", ended]))
    assert type(got) is kind and str(got).startswith(said)


# the health window: in watch (a rollback's) and in health_step (a create's)


def test_watch_with_a_window_watches_the_running_deployment_for_it():
    said, run = watch(Api(statuses=["InQueue", "Running"]), window=5.0)
    assert said == "L-new Running" and run.said("L-new is Running; watching it for 5s") and len(run.api.reads()) > 2


def health(api: Api, r: Result | None = None, cancel: bool = False, **options: Any) -> Run:
    ctx, logged = context(api, **options)
    if cancel:
        ctx.poller.cancel.set()
    run = Run(api, ctx, r or result(deploy_id=NEW, window_due=True), logged)
    try:
        creating.health_step(ctx, run.r)
    except StepFailed as exc:
        run.error = exc
    checked(logged)
    return run


def test_a_deployment_that_stays_up_through_its_window_is_healthy_and_watched_once():
    run = health(Api(statuses=["Running", ApiError("live/read: HTTP 502"), "Running"]), health_window=1.0)
    assert run.error is None and run.r.detail == "L-new Running" and run.r.window_due is False
    assert len(run.api.reads()) >= 2 and all(c[1:3] == (1, NEW) for c in run.api.reads())
    assert [m for _, m in run.logged] == ["L-new is Running; watching it for 1s"]  # Running: nothing new to say


@pytest.mark.parametrize("r", [result(deploy_id=NEW), result(window_due=True)])
def test_no_window_is_watched_when_none_is_due_or_nothing_was_deployed(r):
    run = health(Api(), r)
    assert run.api.calls == [] and run.r.detail == ""


def test_an_interrupt_skips_the_health_window():
    run = health(Api(statuses=["RuntimeError"]), cancel=True)
    assert run.r.detail == "L-new Running" and run.api.calls == []


@pytest.mark.parametrize(
    "ended, error, said",
    [
        ("RuntimeError", "boom", "L-new ended in RuntimeError within 30s of Running: boom"),
        ("DeployError", "", "L-new ended in DeployError within 30s of Running: -"),
    ],
)
def test_a_deployment_that_crashes_in_its_window_fails_with_its_log(ended, error, said):
    run = health(Api(statuses=["Running", "LoggingIn", "LoggingIn", "Running", row(NEW, ended, error)]))
    assert type(run.error) is creating.CreateFailed and str(run.error) == said
    assert [m for _, m in run.logged][1:] == ["L-new LoggingIn", "L-new Running", f"L-new {ended}"]
    assert ("live/logs/read", 1, NEW) in run.api.calls and run.r.logs == ("Runtime Error: boom",)


def test_a_deployment_stopped_in_its_window_is_someone_elses_decision():
    run = health(Api(statuses=["Running", "Liquidated"]))
    assert type(run.error) is StoppedOutside
    assert str(run.error).startswith("L-new Liquidated: stopped by someone else during the health window")


def test_a_one_second_window_is_still_watched():
    run = health(Api(statuses=["RuntimeError"]), health_window=1.0)
    assert type(run.error) is creating.CreateFailed
