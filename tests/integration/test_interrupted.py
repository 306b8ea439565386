"""A run that dies mid-replace (SIGKILL: an OOM kill, a cancelled CI job) leaves a trace the next plan reads, and the
next apply finishes the change: exactly one deployment running the target spec, no stop and no create sent twice.

Each test kills the real CLI right after one step of docs/design.md's "what runs if the process dies" table: the
sandbox holds the next request ("hang" / "hang-after" faults) and says when a client waits there, so the kill lands
exactly after that step, with no sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import P_MOMENTUM, SECRET, Sandbox, ib_brokerage, manifest, write
from tests.integration.test_state_backends import repos  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("env")
CREATE, STOP, READ = "live/create", "live/update/stop", "live/read"


def apply_cmd(manifests: Path) -> list[str]:
    return [sys.executable, "-m", "qcdeploy", "apply", "--auto-approve", str(manifests)]


def deployed(cli, manifests: Path, version: int) -> None:
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": version}))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text


def killed_after(sandbox: Sandbox, manifests: Path, tmp_path: Path, fault: str, endpoint: str, armed: str = "") -> None:
    """Run apply in a subprocess until it waits on `endpoint` (held by the sandbox), then SIGKILL it."""
    faults = sandbox.server.faults
    faults.hung.clear()
    faults.release.clear()
    sandbox.admin("faults", once={fault: {endpoint: 1}}, armedBy=armed)
    proc = subprocess.Popen(
        apply_cmd(manifests), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ), cwd=tmp_path
    )
    try:
        assert faults.hung.wait(60), proc.communicate(timeout=5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        faults.release.set()
    sandbox.admin("settle")  # time passes: a stop sent has taken effect, a deployment sent has started


def journal(ledger_path: Path) -> Any:
    return json.loads(ledger_path.read_text()).get("journal", {})


def finish(cli, sandbox: Sandbox, manifests: Path, ledger_path: Path, flat: bool, before: dict[str, int]) -> str:
    """The next plan names the interrupted strategy; the next apply converges without a second stop or create."""
    shown = cli("plan", "--detailed-exitcode", str(manifests))
    assert shown.code == 2, shown.text
    first = shown.out.splitlines()[0]
    assert first.startswith("INTERRUPTED alpha: an apply died"), shown.out
    assert ("nothing is running (FLAT)" in first) is flat, first
    as_json = json.loads(cli("plan", "--format", "json", str(manifests)).out)
    assert [(i["name"], i["flat"]) for i in as_json["interrupted"]] == [("alpha", flat)]
    markdown = cli("plan", "--format", "markdown", str(manifests)).out
    assert "**INTERRUPTED `alpha`**" in markdown
    calls = sandbox.calls()
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    after = sandbox.calls()
    assert after.get(STOP, 0) == calls.get(STOP, 0), "a stop was sent again"
    new_creates = after.get(CREATE, 0) - calls.get(CREATE, 0)
    active = sandbox.active(P_MOMENTUM)
    assert len(active) == 1 and active[0]["settings"]["parameters"] == {"v": "2"}, active
    assert len(sandbox.deployments(P_MOMENTUM)) == 2  # the old one and one new one: never two creates that landed
    assert json.loads(ledger_path.read_text())["deployments"]["alpha"]["deployId"] == active[0]["deployId"]
    assert journal(ledger_path) == {}
    assert cli("plan", "--detailed-exitcode", str(manifests)).code == 0
    assert before.get(STOP, 0) + 1 == after.get(STOP, 0)  # one stop in all, by the run that died
    return f"{new_creates}"


def test_killed_after_the_stop_landed_and_before_the_create(cli, sandbox, manifests, ledger_path, tmp_path):
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    before = sandbox.calls()
    killed_after(sandbox, manifests, tmp_path, "hang", CREATE)  # the create is held before it does anything
    assert sandbox.active(P_MOMENTUM) == []
    entry = journal(ledger_path)["alpha"]
    assert entry["step"] == "creating" and entry["old"]["spec"]["parameters"] == {"v": "1"}
    assert "alpha" not in json.loads(ledger_path.read_text())["deployments"]
    status = cli("status", "--format", "json", str(manifests))
    [row] = json.loads(status.out)["deployments"]
    assert row["health"] == "FLAT" and row["interrupted"]["step"] == "creating", row
    drift = cli("drift", str(manifests))
    assert drift.code == 2 and "interrupted" in drift.out and "FLAT: an apply died" in drift.out, drift.text
    watched = cli("watch", "--once", str(manifests))
    assert watched.code == 2 and "FLAT: an apply died" in watched.text, watched.text
    assert sandbox.active(P_MOMENTUM) == []  # reported, not healed: the next apply finishes it
    assert finish(cli, sandbox, manifests, ledger_path, flat=True, before=before) == "1"


def test_killed_after_the_stop_was_sent(cli, sandbox, manifests, ledger_path, tmp_path):
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    before = sandbox.calls()
    killed_after(sandbox, manifests, tmp_path, "hang-after", STOP)  # the stop is carried out, its answer held
    assert journal(ledger_path)["alpha"]["step"] == "stopping"
    plan = cli("plan", str(manifests)).out
    assert "was stopped outside qcdeploy" not in plan  # qcdeploy stopped it itself, and says so
    assert finish(cli, sandbox, manifests, ledger_path, flat=True, before=before) == "1"


def test_killed_after_the_create_was_sent_before_the_ledger_write(cli, sandbox, manifests, ledger_path, tmp_path):
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    before = sandbox.calls()
    killed_after(sandbox, manifests, tmp_path, "hang-after", CREATE)  # the create is carried out, its answer held
    assert len(sandbox.active(P_MOMENTUM)) == 1
    plan = cli("plan", str(manifests)).out
    assert "record L-" in plan and "Unmanaged" not in plan, plan
    assert finish(cli, sandbox, manifests, ledger_path, flat=False, before=before) == "0"


def test_killed_after_the_ledger_write(cli, sandbox, manifests, ledger_path, tmp_path):
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    sandbox.server.calls.clear()  # armed by this run's create, not the first apply's
    before = sandbox.calls()
    killed_after(sandbox, manifests, tmp_path, "hang", READ, armed=CREATE)  # the first read after the create
    assert journal(ledger_path)["alpha"]["step"] == "watching"
    shown = cli("plan", "--detailed-exitcode", str(manifests))
    assert shown.code == 2 and shown.out.startswith("INTERRUPTED alpha: an apply died while watching"), shown.out
    assert "No changes." in shown.out
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert journal(ledger_path) == {}
    assert sandbox.calls().get(CREATE, 0) == before.get(CREATE, 0) + 1
    assert cli("plan", "--detailed-exitcode", str(manifests)).code == 0


def test_git_backend_killed_after_the_stop_another_clone_finishes(cli, sandbox, repos, monkeypatch):  # noqa: F811
    """The ledger and its journal on a git branch: a run killed between the stop and the create, on one working
    copy, is named by the plan of another clone, whose apply finishes it (taking over the dead run's lock)."""
    _, a, b = repos
    monkeypatch.chdir(a)
    assert cli("apply", "--auto-approve", "deployments").code == 0
    write(a / "deployments", "momentum.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 12}))
    faults = sandbox.server.faults
    sandbox.admin("faults", once={"hang": {CREATE: 1}})
    proc = subprocess.Popen(apply_cmd(Path("deployments")), env=dict(os.environ), cwd=a, stdout=subprocess.PIPE)
    try:
        assert faults.hung.wait(60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        faults.release.set()
    assert sandbox.active(P_MOMENTUM) == []
    monkeypatch.chdir(b)
    write(b / "deployments", "momentum.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 12}))
    shown = cli("plan", "--detailed-exitcode", "deployments")
    assert shown.code == 2 and shown.out.startswith("INTERRUPTED momentum: an apply died"), shown.text
    assert "nothing is running (FLAT)" in shown.out.splitlines()[0]
    creates, stops = sandbox.calls().get(CREATE, 0), sandbox.calls().get(STOP, 0)
    result = cli("apply", "--auto-approve", "deployments")
    assert result.code == 0, result.text
    assert sandbox.calls().get(CREATE, 0) == creates + 1 and sandbox.calls().get(STOP, 0) == stops
    [active] = sandbox.active(P_MOMENTUM)
    assert active["settings"]["parameters"] == {"fast": "12"}
    assert cli("plan", "--detailed-exitcode", "deployments").code == 0


def test_rollback_interrupted_redeploys_what_ran_before(cli, sandbox, manifests, ledger_path, tmp_path):
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    killed_after(sandbox, manifests, tmp_path, "hang", CREATE)
    shown = cli("plan", "--rollback-interrupted", str(manifests)).out
    assert "the old spec redeployed (--rollback-interrupted)" in shown, shown
    saved = cli("plan", "--rollback-interrupted", "--out", str(tmp_path / "p.json"), str(manifests))
    assert saved.code == 1 and "is not kept in a saved plan" in saved.err  # its apply would create the target
    result = cli("apply", "--auto-approve", "--rollback-interrupted", str(manifests))
    assert result.code == 0, result.text
    [active] = sandbox.active(P_MOMENTUM)
    assert active["settings"]["parameters"] == {"v": "1"}
    assert json.loads(ledger_path.read_text())["deployments"]["alpha"]["deployId"] == active["deployId"]
    assert journal(ledger_path) == {}
    again = cli("plan", str(manifests)).out  # the manifest's change is still wanted: a plain replace now
    assert "-/+ alpha" in again and "INTERRUPTED" not in again


def test_a_plan_saved_before_the_death_is_stale_for_that_deployment(cli, sandbox, manifests, tmp_path):
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    saved = tmp_path / "before.plan.json"
    assert cli("plan", "--out", str(saved), str(manifests)).code == 0
    sandbox.admin("slow-stops", seconds=3600)  # the stop is sent, and has not landed when the run dies
    killed_after(sandbox, manifests, tmp_path, "hang-after", STOP)
    sandbox.admin("slow-stops", seconds=None)
    stops = sandbox.calls().get(STOP, 0)
    refused = cli("apply", str(saved))
    assert refused.code == 1 and "alpha: an apply was interrupted mid-change after this plan was made" in refused.err
    assert sandbox.calls().get(STOP, 0) == stops


def test_killed_after_the_rollback_create_was_sent(cli, sandbox, manifests, ledger_path, tmp_path):
    """The new deployment crashed; the rollback's create of the old spec was sent, and the run died before it was
    recorded: the next plan records the old spec's deployment (not the target's), and nothing is created again."""
    deployed(cli, manifests, 1)
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, parameters={"v": 2}))
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0, whenParameters={"v": "2"})
    faults = sandbox.server.faults
    faults.hung.clear()
    faults.release.clear()
    sandbox.server.calls.clear()
    # the rollback sets the parameters back after the failed create: held there first, then its create is
    sandbox.admin("faults", once={"hang": {"projects/update": 1}}, armedBy=CREATE)
    proc = subprocess.Popen(
        apply_cmd(manifests), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ), cwd=tmp_path
    )
    try:
        assert faults.hung.wait(60)
        faults.hung.clear()
        sandbox.admin("faults", once={"hang-after": {CREATE: 1}})
        faults.release.set()  # the rollback goes on to its create, which is carried out and held
        faults.release.clear()
        assert faults.hung.wait(60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        faults.release.set()
    sandbox.admin("settle")
    assert journal(ledger_path)["alpha"]["step"] == "creating"
    shown = cli("plan", str(manifests)).out
    assert shown.startswith("INTERRUPTED alpha: an apply died after sending the create") and "record L-" in shown
    creates = sandbox.calls().get(CREATE, 0)
    assert cli("apply", "--auto-approve", str(manifests), "--target", "alpha").code == 0
    [active] = sandbox.active(P_MOMENTUM)
    assert active["settings"]["parameters"] == {"v": "1"}  # the old spec, recorded as such
    assert json.loads(ledger_path.read_text())["deployments"]["alpha"]["spec"]["parameters"] == {"v": "1"}
    assert sandbox.calls().get(CREATE, 0) == creates and journal(ledger_path) == {}


def test_the_journal_holds_no_secret(cli, sandbox, manifests, ledger_path, tmp_path):
    """The journal a dead run leaves carries the old and the target spec with secrets as salted hashes and
    references (what a rollback needs), never their values."""
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, brokerage=ib_brokerage(), parameters={"v": 1}))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, brokerage=ib_brokerage(), parameters={"v": 2}))
    killed_after(sandbox, manifests, tmp_path, "hang", CREATE)
    text = ledger_path.read_text()
    entry = journal(ledger_path)["alpha"]
    assert SECRET not in text and entry["old"]["refs"] == entry["target"]["refs"]
    assert "${env:IB_PASSWORD}" in json.dumps(entry["old"]["refs"])
    assert finish(cli, sandbox, manifests, ledger_path, flat=True, before={"live/update/stop": 0}) == "1"
