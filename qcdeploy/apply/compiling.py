"""Compile step: build the project's current code (or check a pinned compile); never stops anything."""

from __future__ import annotations

from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import Interrupted, Result, StepFailed
from qcdeploy.planning.codehash import read_hash


def compile_step(ctx: Context, r: Result) -> None:
    d = r.change.desired
    assert d is not None
    pid, pinned = d.project.project_id, d.manifest.spec["compile"]
    if pinned != "latest":
        state = ctx.api.compile_read(pid, pinned).get("state")
        if state != "BuildSuccess":
            message = f"compile {pinned} of project {pid} is {state}, not BuildSuccess; nothing was stopped"
            raise StepFailed(message, lasting=True)
        r.compile_id = pinned
        return
    # as the plan read it, before compiling: a later edit then shows as a code change (safe), never the reverse
    r.project_modified = d.project.modified or None
    r.code_hash = read_hash(ctx.api, pid)  # read before compiling, for the same reason
    compile_id = str(ctx.api.compile_create(pid).get("compileId") or "")
    if not compile_id:
        raise StepFailed("compile/create returned no compileId; nothing was stopped")
    ctx.log(r.change.name, f"compiling project {pid} ({compile_id})")
    answer, finished = ctx.poller.until(
        lambda: ctx.api.compile_read(pid, compile_id),
        lambda a: a.get("state") in ("BuildSuccess", "BuildError"),
        ctx.timeout,
        ctx.progress(r, "the compile"),
        first=0.5,  # a compile takes seconds (a real one, tens): no read sooner than 0.5 s
        then=0.5,  # then at 1 s, 1.75 s, 2.9 s, ...: a short compile is seen done without a third read
    )
    if not finished and ctx.poller.cancel.is_set():
        raise Interrupted(f"interrupted while compiling {compile_id}; nothing was stopped")
    if not finished:
        raise StepFailed(f"compile {compile_id} did not finish within {ctx.timeout:g}s; nothing was stopped")
    if answer.get("state") == "BuildError":
        logs = "\n    ".join(str(line) for line in answer.get("logs") or []) or "(no compiler output)"
        raise StepFailed(f"compile {compile_id} failed (BuildError); nothing was stopped:\n    {logs}", lasting=True)
    r.compile_id = compile_id
    ctx.log(r.change.name, f"compiled {compile_id}")
