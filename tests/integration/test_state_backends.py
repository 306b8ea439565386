"""State backends end to end: git against a bare repository from two clones, and the HTTP protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qcdeploy.errors import LedgerError
from qcdeploy.ledger.backends.base import lock_info
from qcdeploy.ledger.backends.git import GitBackend
from qcdeploy.ledger.store import Ledger
from qcdeploy.model import LedgerEntry
from tests.helpers import P_MEANREV, P_MOMENTUM, manifest, write
from tests.tfstate_server import TfState

pytestmark = pytest.mark.usefixtures("env")


def git(cwd, *args):
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def repos(tmp_path, monkeypatch):
    """A bare 'origin' with a manifest repository on main, and two fresh clones of it."""
    for key, value in (("NAME", "Trader"), ("EMAIL", "trader@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    monkeypatch.delenv("QCDEPLOY_STATE")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(origin), str(seed))
    write(seed / "deployments", "momentum.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    write(seed / "deployments", "meanrev.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    (seed / ".qcdeploy.yaml").write_text("state: 'git:'\n")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "manifests")
    git(seed, "push", "--quiet", "origin", "HEAD:main")
    clones = []
    for name in ("a", "b"):
        clone = tmp_path / name
        git(tmp_path, "clone", "--quiet", str(origin), str(clone))
        clones.append(clone)
    return origin, clones[0], clones[1]


def test_git_backend_shared_by_two_working_copies(cli, sandbox, repos, monkeypatch):
    origin, a, b = repos
    monkeypatch.chdir(a)
    first = cli("apply", "--auto-approve", "deployments")
    assert first.code == 0, first.text
    assert git(a, "status", "--porcelain") == "" and git(a, "rev-parse", "--abbrev-ref", "HEAD") == "main"

    monkeypatch.chdir(b)  # a fresh clone: it learns the ledger from the branch
    assert "No changes." in cli("plan", "deployments").out
    write(b / "deployments", "momentum.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 12}))
    plan = cli("plan", "deployments")
    assert "-/+ momentum" in plan.out and "Unmanaged" not in plan.out
    assert cli("apply", "--auto-approve", "deployments").code == 0
    assert [d["status"] for d in sandbox.deployments(P_MOMENTUM)] == ["Stopped", "Running"]

    log = git(origin, "log", "--format=%B%x00", "qcdeploy-state")
    assert "qcdeploy: record momentum" in log and "Manifests-Commit: " in log and "By: " in log
    assert "qcdeploy: lock for apply" in log and "qcdeploy: unlock" in log
    tree = git(origin, "ls-tree", "--name-only", "qcdeploy-state")
    assert tree == "state.json"  # the lock is gone after the apply
    state = json.loads(git(origin, "show", "qcdeploy-state:state.json"))
    assert state["deployments"]["momentum"]["deployId"] == sandbox.active(P_MOMENTUM)[0]["deployId"]
    show = cli("state", "show")
    assert show.code == 0 and "momentum: project" in show.out and "git:origin#qcdeploy-state" in show.out


def test_git_push_rejected_by_a_concurrent_writer_is_retried(repos, monkeypatch):
    _, a, b = repos
    mine, theirs = (
        GitBackend("origin", "qcdeploy-state", cwd=str(a)),
        GitBackend("origin", "qcdeploy-state", cwd=str(b)),
    )
    calls = []

    def change(doc):
        calls.append(doc)
        if len(calls) == 1:  # between our read and our push, someone else records a deployment
            theirs.update(lambda d: {"deployments": {"theirs": 1}, "salt": "00"}, "theirs")
        doc = dict(doc or {"deployments": {}, "salt": "00"})
        doc["deployments"] = {**doc["deployments"], "mine": 2}
        return doc

    result = mine.update(change, "mine")
    assert len(calls) == 2  # the first push was rejected; the change was applied again on their commit
    assert result["deployments"] == {"theirs": 1, "mine": 2}
    assert (theirs.read() or {}).get("deployments") == {"theirs": 1, "mine": 2}


def test_git_lock_names_its_holder_and_force_unlock_clears_it(cli, sandbox, repos, monkeypatch):
    _, a, b = repos
    holder = lock_info("apply") | {"host": "ci-runner-7", "ci_run": "991"}
    GitBackend("origin", "qcdeploy-state", cwd=str(a)).lock(holder, 0, print)
    monkeypatch.chdir(b)
    busy = cli("apply", "--auto-approve", "deployments")
    assert busy.code == 1
    assert "is locked: apply by" in busy.err and "CI run 991" in busy.err
    assert f"qcdeploy force-unlock {holder['id']}" in busy.err
    assert sandbox.deployments() == []
    assert cli("force-unlock", holder["id"]).code == 0
    assert cli("apply", "--auto-approve", "deployments").code == 0


def test_two_concurrent_applies_never_interleave(sandbox, repos):
    _, a, b = repos
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "qcdeploy", "apply", "--auto-approve", "deployments"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for cwd in (a, b)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    assert "is locked: apply by" in loser
    assert len(sandbox.active(P_MOMENTUM)) == 1 and len(sandbox.active(P_MEANREV)) == 1
    assert len(sandbox.deployments()) == 2


def test_http_backend_with_a_terraform_state_service(cli, sandbox, manifests, monkeypatch, tmp_path):
    server = TfState()
    try:
        monkeypatch.setenv("QCDEPLOY_STATE", server.url)
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        assert cli("apply", "--auto-approve", str(manifests)).code == 0
        assert server.lock_info is None and json.loads(server.state or b"{}")["deployments"]["momentum"]
        monkeypatch.chdir(tmp_path)  # another machine, same service
        assert "No changes." in cli("plan", str(manifests)).out

        server.lock_info = {
            "ID": "tf-lock-1",
            "Operation": "OperationTypeApply",
            "Who": "alice@laptop",
            "Created": "2026-11-26T01:00:00Z",
        }
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"x": 1}))
        busy = cli("apply", "--auto-approve", str(manifests))
        assert busy.code == 1 and "is locked: OperationTypeApply by alice@laptop" in busy.err
        assert "qcdeploy force-unlock tf-lock-1" in busy.err
        assert cli("force-unlock", "tf-lock-1").code == 0 and server.lock_info is None
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("stored", "said"), [(b"[]", "is not a JSON object"), (b'{"serial": 1,\n  oops}', ":2:3: the")]
)
def test_an_http_ledger_that_is_not_a_json_object_is_an_error_never_an_empty_ledger(
    cli, sandbox, manifests, monkeypatch, stored, said
):
    server = TfState()
    try:
        monkeypatch.setenv("QCDEPLOY_STATE", server.url)
        server.state = stored
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        result = cli("apply", "--auto-approve", str(manifests))
        assert result.code == 1 and said in result.err and "Traceback" not in result.text, result.text
        assert server.state == stored and sandbox.deployments() == []  # written over, every entry would be lost
    finally:
        server.stop()


def test_ledger_unwritable_before_create_deploys_nothing(cli, sandbox, manifests, monkeypatch):
    server = TfState()
    try:
        monkeypatch.setenv("QCDEPLOY_STATE", server.url)
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        server.fail_posts = True  # the journal cannot be written: no create is sent that could not be recorded
        result = cli("apply", "--auto-approve", str(manifests))
        assert result.code == 1 and "cannot write the journal before the create" in result.out
        assert sandbox.deployments(P_MOMENTUM) == []
        server.fail_posts = False
        assert cli("apply", "--auto-approve", str(manifests)).code == 0
        assert len(sandbox.active(P_MOMENTUM)) == 1
    finally:
        server.stop()


def test_ledger_unwritable_after_create_is_loud_and_recoverable(cli, sandbox, manifests, monkeypatch):
    server = TfState()
    try:
        monkeypatch.setenv("QCDEPLOY_STATE", server.url)
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        server.posts_left = 1  # the journal entry before the create is written; the record after it is not
        result = cli("apply", "--auto-approve", str(manifests))
        assert result.code == 1
        [dep] = sandbox.active(P_MOMENTUM)
        assert f"DEPLOYED {dep['deployId']}, BUT IT IS NOT RECORDED" in result.out
        assert "qcdeploy adopt momentum" in result.out
        plan = cli("plan", str(manifests))  # never a second deployment: the journal names it as ours
        assert plan.out.startswith("INTERRUPTED momentum:") and f"record {dep['deployId']}" in plan.out, plan.out
        server.posts_left, server.fail_posts = None, False
        assert cli("apply", "--auto-approve", str(manifests)).code == 0
        assert "No changes." in cli("plan", str(manifests)).out and "Unmanaged" not in cli("plan", str(manifests)).out
        assert len(sandbox.deployments(P_MOMENTUM)) == 1
    finally:
        server.stop()


def test_migrate_file_to_git_and_back(cli, sandbox, repos, monkeypatch, tmp_path):
    _, a, _ = repos
    monkeypatch.chdir(a)
    local = tmp_path / "local.json"
    assert cli("--state", f"file:{local}", "apply", "--auto-approve", "deployments").code == 0
    (a / ".qcdeploy.yaml").unlink()
    moved = cli("--state", str(local), "state", "migrate", "--to", "git:origin#ledger")
    assert moved.code == 0, moved.err
    assert "Copied 2 deployment(s)" in moved.out and "verified" in moved.out
    assert "No changes." in cli("--state", "git:origin#ledger", "plan", "deployments").out
    again = cli("--state", str(local), "state", "migrate", "--to", "git:origin#ledger")
    assert again.code == 1 and "already holds a ledger" in again.err


def test_migrate_refuses_a_copy_that_reads_back_different(cli, manifests, tmp_path, monkeypatch):
    """A state service that stores something else than it was sent: the copy is read back and compared, and the
    migration fails rather than telling the user to switch to a ledger that lost a deployment."""
    monkeypatch.chdir(tmp_path)  # not this repository, whose examples define environments
    local = tmp_path / "local.json"
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("--state", str(local), "apply", "--auto-approve", str(manifests)).code == 0
    server = TfState()
    try:
        server.mangle = lambda body: json.dumps({**json.loads(body), "deployments": {}}).encode()
        moved = cli("--state", str(local), "state", "migrate", "--to", server.url)
        assert moved.code == 1 and "does not match the source; nothing was switched" in moved.err
        assert "Point QCDEPLOY_STATE" not in moved.out
    finally:
        server.stop()
    assert json.loads(local.read_text())["deployments"]["momentum"]


def test_unknown_backend_and_bad_config(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not this repository, whose examples define environments
    monkeypatch.setenv("QCDEPLOY_STATE", "s3://bucket/key")
    assert "unknown state backend" in cli("state", "show").err
    monkeypatch.delenv("QCDEPLOY_STATE")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".qcdeploy.yaml").write_text("windows: []\nzone: UTC\nstat: x\n")
    bad = cli("state", "show")  # the first unknown setting in the file is the one placed, whatever its name
    said = ".qcdeploy.yaml:2:1: unknown setting 'zone' (allowed: freezes, heal, market-hours, notify, state, windows)"
    assert bad.code == 1 and f"{said}; also unknown: stat" in bad.err, bad.err
    (tmp_path / ".qcdeploy.yaml").write_text("stat: x\n")
    assert ".qcdeploy.yaml:1:1: unknown setting 'stat' (did you mean 'state'?)" in cli("state", "show").err
    (tmp_path / ".qcdeploy.yaml").write_text("state: git:\n")
    unquoted = cli("state", "show")
    assert (
        unquoted.code == 1 and ".qcdeploy.yaml:1:11: invalid YAML" in unquoted.err and 'state: "git:"' in unquoted.err
    )


def test_git_backend_outside_a_repository_is_a_clear_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCDEPLOY_STATE", "git:")
    result = cli("state", "show")
    assert result.code == 1 and "cannot read the ledger from git:origin#qcdeploy-state" in result.err
    assert "Traceback" not in result.text


def test_git_state_branch_holding_the_manifests_is_refused(cli, sandbox, repos, monkeypatch):
    """`git:origin#main` from a CI checkout (detached HEAD): main holds the manifests, and a ledger commit would
    replace its whole tree; every command refuses it, naming what else is on the branch, and main is untouched."""
    origin, _, b = repos
    git(b, "checkout", "--quiet", "--detach")
    monkeypatch.chdir(b)
    monkeypatch.setenv("QCDEPLOY_STATE", "git:origin#main")
    before = git(origin, "rev-parse", "main")
    for command in (("plan", "deployments"), ("apply", "--auto-approve", "deployments"), ("state", "show")):
        result = cli(*command)
        assert result.code == 1, result.text
        assert "holds .qcdeploy.yaml, deployments/ besides the ledger's own files" in result.err
        assert "git:origin#qcdeploy-state" in result.err and "Traceback" not in result.text
    assert git(origin, "rev-parse", "main") == before and sandbox.deployments() == []


def test_git_state_branch_checked_out_here_is_refused(cli, sandbox, repos, monkeypatch):
    """The branch checked out here is refused even before it exists on the remote (the first ledger commit would
    create a branch the manifests' push then collides with)."""
    origin, a, _ = repos
    monkeypatch.chdir(a)
    git(a, "checkout", "--quiet", "-b", "work")
    for branch in ("main", "work"):
        git(a, "checkout", "--quiet", branch)
        monkeypatch.setenv("QCDEPLOY_STATE", f"git:origin#{branch}")
        result = cli("apply", "--auto-approve", "deployments")
        assert result.code == 1 and f"is the branch checked out here ({branch}" in result.err, result.text
    assert "work" not in git(origin, "branch", "--list") and sandbox.deployments() == []


def refuse_pushes(origin, log):
    """A pre-receive hook such as branch protection: it refuses every update of the state branch."""
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f"echo called >> '{log}'\n"
        "echo 'GH006: Protected branch update failed for refs/heads/qcdeploy-state.' >&2\n"
        "exit 1\n"
    )
    hook.chmod(0o755)


def test_git_push_refused_by_the_remote_is_an_error_not_a_retry(sandbox, repos, tmp_path):
    """apply with --lock-timeout 3 against a remote whose hook refuses the lock commit: it ends (it used to retry
    forever), exit 1, with the remote's own words; nothing was deployed."""
    origin, a, _ = repos
    log = tmp_path / "hook.log"
    refuse_pushes(origin, log)
    done = subprocess.run(
        [sys.executable, "-m", "qcdeploy", "apply", "--auto-approve", "--lock-timeout", "3", "deployments"],
        cwd=a,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "the remote refused the ledger write to git:origin#qcdeploy-state" in done.stderr
    assert "pre-receive hook declined" in done.stderr and "GH006: Protected branch update failed" in done.stderr
    assert log.read_text().count("called") == 1 and sandbox.deployments() == []


def test_git_ledger_write_refused_by_the_remote_is_tried_once(repos, tmp_path):
    origin, a, _ = repos
    backend = GitBackend("origin", "qcdeploy-state", cwd=str(a))
    backend.update(lambda doc: {"deployments": {}, "salt": "00"}, "first")
    log = tmp_path / "hook.log"
    refuse_pushes(origin, log)
    with pytest.raises(LedgerError, match=r"pre-receive hook declined.*GH006"):
        backend.update(lambda doc: {"deployments": {"x": 1}, "salt": "00"}, "second")
    assert log.read_text().count("called") == 1
    assert json.loads(git(origin, "show", "qcdeploy-state:state.json"))["deployments"] == {}


def test_git_lock_lost_races_end_at_the_deadline(repos, monkeypatch):
    """A branch that moves under every lock attempt: the loop gives up after its attempts once the deadline has
    passed, instead of spinning forever."""
    _, a, _ = repos
    backend = GitBackend("origin", "qcdeploy-state", cwd=str(a), attempts=3)
    pushes = []

    def lose(commit):
        pushes.append(commit)
        return False

    monkeypatch.setattr(backend.repo, "push", lose)
    with pytest.raises(LedgerError, match="could not take the lock at git:origin#qcdeploy-state: 3 concurrent"):
        backend.lock(lock_info("apply"), 0, print)
    assert len(pushes) == 3


def test_http_state_credentials_go_only_to_the_trusted_state_host(cli, sandbox, manifests, monkeypatch):
    """An Environment file (a pull request can edit one) naming a state service on another host: the plan job
    reads it without the state service's password; the environment whose ledger is derived from the trusted
    location still sends it."""
    trusted, other = TfState(), TfState()
    try:
        monkeypatch.setenv("QCDEPLOY_STATE", trusted.url)
        monkeypatch.setenv("QCDEPLOY_STATE_USERNAME", "ci")
        monkeypatch.setenv("QCDEPLOY_STATE_PASSWORD", "state-service-password-1")
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        for name, state in (("paper", other.url), ("live", None)):
            spec: dict[str, object] = {"state": state} if state else {}
            if name == "live":  # environments never share a project or a node
                spec["deployments"] = {"momentum": {"project": P_MEANREV, "node": "live-node-2"}}
            env = {"apiVersion": "qcdeploy/v1", "kind": "Environment", "metadata": {"name": name}, "spec": spec}
            write(manifests, f"{name}.yaml", env)
        assert cli("plan", "--env", "paper", str(manifests)).code == 0
        assert cli("plan", "--env", "live", str(manifests)).code == 0
        assert other.authorizations and set(other.authorizations) == {None}
        assert trusted.authorizations and all(a and a.startswith("Basic ") for a in trusted.authorizations)
    finally:
        trusted.stop()
        other.stop()


def test_git_state_branch_gone_mid_run_is_not_recreated_with_only_the_new_entry(repos):
    """The git backend keeps the ledger's rule too: a fetch that finds no branch after the run read one (deleted,
    or a mirror that lags) is not the base of a write."""
    origin, a, _ = repos
    backend = GitBackend("origin", "qcdeploy-state", cwd=str(a))
    first = Ledger.load(backend)
    first.put(ledger_entry("momentum"))
    ledger = Ledger.load(backend)
    git(origin, "update-ref", "-d", "refs/heads/qcdeploy-state")
    with pytest.raises(LedgerError, match="answered that there is none"):
        ledger.put(ledger_entry("meanrev"))
    assert "qcdeploy-state" not in git(origin, "branch", "--list")


def ledger_entry(name):
    return LedgerEntry(name, 1, f"L-{name}", {"projectId": 1}, "c", "2026-01-01 00:00:00", "t", "stop", False)
