"""Preflight with the context replaced: the create body is built for the compile about to go live and the
project's LEAN version, a body that cannot be built or sent refuses the change before anything stops, and a
replace says before its stop when a failure could not be rolled back (or only with today's secrets)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from qcdeploy.apply.outcome import Result, StepFailed
from qcdeploy.apply.preflight import preflight_step
from qcdeploy.model import Action, Desired, Project
from tests.builders import SALT, T0, change, desired, entry

SECRET = {"id": "QuantConnectBrokerage", "pw": "old"}


def run(r: Result, rollback: bool = True, environ: Any = None) -> list[tuple[str, str]]:
    """preflight_step over r; what it logged, as (change name, message)."""
    logged: list[tuple[str, str]] = []
    ctx: Any = SimpleNamespace(
        options=SimpleNamespace(rollback=rollback),
        environ=environ or {},
        ledger=SimpleNamespace(salt=SALT),
        log=lambda name, message: logged.append((name, message)),
    )
    preflight_step(ctx, r)
    return logged


def on_lean(d: Desired, version: str) -> Desired:
    p = d.project
    return Desired(d.manifest, Project(p.project_id, p.name, p.modified, T0, lean_version=version), d.node)


def test_the_body_is_built_for_the_compile_and_the_projects_lean_version():
    r = Result(change(Action.CREATE, desired=on_lean(desired(), "17001")), compile_id="c-9")
    assert run(r) == []
    assert r.body is not None and r.body["compileId"] == "c-9" and r.body["versionId"] == "17001"


@pytest.mark.parametrize("spec", [{"brokerage": None}, {"dataProviders": None}])
def test_a_body_that_cannot_be_built_refuses_the_change_before_anything_stops(spec):
    r = Result(change(Action.REPLACE, desired=desired(**spec)), compile_id="c-1")
    with pytest.raises(StepFailed, match=r"preflight: cannot build the create body .*; nothing was stopped") as e:
        run(r)
    assert r.body is None and e.value.lasting  # the summary says to fix the manifest, not to run apply again


def test_every_problem_is_named_and_lasts_until_the_manifest_is_fixed():
    d = desired(brokerage={"id": "NoSuchBrokerage", "pw": ""}, sensitive=[("brokerage", "pw")])
    with pytest.raises(StepFailed) as e:
        run(Result(change(Action.CREATE, desired=d), compile_id="c-1"))
    said = str(e.value)
    assert e.value.lasting and said.endswith("; nothing was stopped")
    assert "'NoSuchBrokerage' is not a known module" in said and "secret brokerage.pw is set but empty" in said


def replace(environ: Any = None, recorded: bool = True, rollback: bool = True) -> list[tuple[str, str]]:
    d = desired(brokerage=SECRET, sensitive=[("brokerage", "pw")])
    made = entry(d, refs=((("brokerage", "pw"), "${env:PW}"),)) if recorded else None
    r = Result(change(Action.REPLACE, desired=d, entry=made), compile_id="c-2")
    logged = run(r, rollback=rollback, environ=environ)
    assert r.body is not None  # a note never refuses the change
    return logged


def test_a_replace_that_could_be_rolled_back_as_it_ran_says_nothing():
    assert replace({"PW": "old"}) == []


def test_a_replace_says_before_its_stop_when_a_failure_could_not_be_rolled_back():
    (said,) = replace({})
    assert said[0] == "m" and "cannot be rolled back (PW is not set)" in said[1]
    (said,) = replace({"PW": "old"}, recorded=False)
    assert said[0] == "m" and "cannot be rolled back (qcdeploy did not start" in said[1]


def test_a_replace_says_before_its_stop_when_a_rollback_would_use_changed_secrets():
    (said,) = replace({"PW": "new"})
    assert said[0] == "m" and "rollback uses current secrets (PW has changed since it ran)" in said[1]


def test_no_rollback_note_without_rollbacks_or_for_a_create():
    assert replace({}, rollback=False) == []
    d = desired(brokerage=SECRET, sensitive=[("brokerage", "pw")])
    assert run(Result(change(Action.CREATE, desired=d), compile_id="c-1")) == []
