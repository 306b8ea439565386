"""The compile step (apply/compiling.py) with the API and the poller replaced by fakes: a pinned compile is only
checked, `latest` reads the project's `modified` and files before it compiles, and every way a compile fails (no
compileId, a build error, no end in time, an interrupt) fails the step saying nothing was stopped, lasting only
where a re-run cannot help."""

from __future__ import annotations

import threading
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply.compiling import compile_step
from qcdeploy.apply.outcome import Interrupted, Result, StepFailed
from qcdeploy.model import Action
from qcdeploy.planning.codehash import content_hash
from tests.builders import change, desired

FILES = [{"name": "main.py", "content": "class Algo: pass"}]


class Api:
    """compile/create answering `created`; compile/read answering `states` in turn (then the last), in order."""

    def __init__(self, *states: Any, created: Any = None, logs: Any = None) -> None:
        self.states, self.logs = list(states), logs
        self.created = {"compileId": "c-9"} if created is None else created
        self.calls: list[tuple[Any, ...]] = []

    def files(self, pid: int) -> list[dict[str, str]]:
        self.calls.append(("files/read", pid))
        return FILES

    def compile_create(self, pid: int) -> Any:
        self.calls.append(("compile/create", pid))
        return self.created

    def compile_read(self, pid: int, compile_id: str) -> Any:
        self.calls.append(("compile/read", pid, compile_id))
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"state": state, "logs": self.logs}


class Poller:
    """Probes at most `reads` times, no time passing; says it has waited 12 s once, as a long compile would."""

    def __init__(self, reads: int = 5, cancelled: bool = False) -> None:
        self.reads, self.cancel = reads, threading.Event()
        if cancelled:
            self.cancel.set()

    def until(self, probe: Any, done: Any, timeout: float, progress: Any, **pace: float) -> tuple[Any, bool]:
        self.timeout = timeout
        progress(12.0)
        for _ in range(self.reads):
            answer = probe()
            if done(answer):
                return answer, True
        return answer, False


def step(api: Api, poller: Poller | None = None, compile: str = "latest", modified: str | None = None) -> Any:
    """Run the compile step of a create of project 7; the result and the lines logged."""
    d = desired(pid=7, compile=compile)
    if modified is not None:
        d = replace(d, project=replace(d.project, modified=modified))
    r = Result(change(Action.CREATE, desired=d))
    logged: list[tuple[str, str]] = []
    c: Any = SimpleNamespace(
        api=api,
        poller=poller or Poller(),
        timeout=60.0,
        log=lambda name, message: logged.append((name, message)),
        progress=lambda r, what: lambda s: logged.append((r.change.name, f"still waiting for {what} ({s:.0f}s)")),
    )
    compile_step(c, r)
    return r, logged


def test_a_pinned_compile_that_built_is_used_as_it_is():
    api = Api("BuildSuccess")
    r, _ = step(api, compile="c-pinned")
    assert r.compile_id == "c-pinned" and api.calls == [("compile/read", 7, "c-pinned")]
    assert r.project_modified is None and r.code_hash == ""


@pytest.mark.parametrize("state", ["BuildError", "InQueue", None])
def test_a_pinned_compile_that_did_not_build_stops_nothing_and_needs_a_fix(state):
    with pytest.raises(StepFailed, match=f"compile c-pinned of project 7 is {state}, .*; nothing was stopped") as e:
        step(Api(state), compile="c-pinned")
    assert e.value.lasting


def test_latest_reads_modified_and_the_files_before_it_compiles():
    api = Api("InQueue", "BuildSuccess")
    r, logged = step(api)
    assert r.compile_id == "c-9" and r.project_modified == "2026-11-01 00:00:00"
    assert r.code_hash == content_hash(FILES)
    assert api.calls == [
        ("files/read", 7),
        ("compile/create", 7),
        ("compile/read", 7, "c-9"),
        ("compile/read", 7, "c-9"),
    ]
    assert logged[0][0] == logged[-1][0] == "m" and "(c-9)" in logged[0][1] and logged[-1][1] == "compiled c-9"
    assert ("m", "still waiting for the compile (12s)") in logged


def test_a_project_whose_modified_is_unknown_records_none():
    r, _ = step(Api("BuildSuccess"), modified="")
    assert r.project_modified is None and r.compile_id == "c-9"


@pytest.mark.parametrize("created", [{}, {"compileId": ""}, {"compileId": None}])
def test_a_compile_create_without_a_compile_id_stops_nothing(created):
    api = Api("BuildSuccess", created=created)
    with pytest.raises(StepFailed, match=r"^compile/create returned no compileId; nothing was stopped$") as e:
        step(api)
    assert not e.value.lasting and ("compile/read", 7, "") not in api.calls


@pytest.mark.parametrize(
    ("logs", "shown"),
    [(["line 1: error", "line 2: error"], "line 1: error\n    line 2: error"), (None, "(no compiler output)")],
)
def test_a_build_error_stops_nothing_and_shows_the_compiler_output(logs, shown):
    with pytest.raises(StepFailed) as e:
        step(Api("InQueue", "BuildError", logs=logs))
    assert e.value.lasting and "compile c-9 failed (BuildError); nothing was stopped" in str(e.value)
    assert str(e.value).endswith(f":\n    {shown}")


def test_a_compile_that_never_ends_within_the_apply_timeout_fails_for_a_re_run():
    poller = Poller()
    with pytest.raises(StepFailed, match="compile c-9 did not finish within 60s; nothing was stopped") as e:
        step(Api("InQueue"), poller)
    assert not e.value.lasting and not isinstance(e.value, Interrupted) and poller.timeout == 60.0


def test_an_interrupt_during_the_compile_stops_nothing_but_a_finished_compile_is_kept():
    with pytest.raises(Interrupted, match="interrupted while compiling c-9; nothing was stopped"):
        step(Api("InQueue"), Poller(cancelled=True))
    r, _ = step(Api("BuildSuccess"), Poller(cancelled=True))
    assert r.compile_id == "c-9"
