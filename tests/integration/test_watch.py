"""watch: one pass reports and heals what spec.heal asks for, through every gate; notifications once, signed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, SECRET, manifest, qcdeploy_process, read_until, write

pytestmark = pytest.mark.usefixtures("env")

HOOK_SECRET = "whsec-9f8e7d6c5b4a-known"
WATCHED = ("crashed", "healed", "heal-failed", "gave-up", "flat", "stopped-outside", "drift")  # not apply's own


class Receiver:
    """A webhook receiver on loopback: every POST kept with its headers."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.fail = 0  # answer 500 to this many posts first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.fail:
                    outer.fail -= 1
                    self.send_response(500)
                else:
                    outer.posts.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def events(self) -> list[tuple[str, str]]:
        return [(json.loads(b)["event"], json.loads(b)["deployment"]) for _, b in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.httpd.shutdown()
    r.httpd.server_close()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Path:
    """A manifest repository whose .qcdeploy.yaml sends every event to the receiver, signed."""
    (tmp_path / ".qcdeploy.yaml").write_text(
        f"notify:\n  - webhook: {receiver.url}\n    secret: ${{env:HOOK_SECRET}}\n    events: [{', '.join(WATCHED)}]\n",
        "utf-8",
    )
    monkeypatch.setenv("HOOK_SECRET", HOOK_SECRET)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "manifests"


def deploy(cli, repo: Path, **heal: Any) -> None:
    spec: dict[str, Any] = {"heal": heal} if heal else {}
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, **spec))
    write(repo, "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert cli("apply", "--auto-approve", str(repo)).code == 0


def signed(receiver: Receiver) -> None:
    deliveries = [headers["X-Qcdeploy-Delivery"] for headers, _ in receiver.posts]
    assert len(set(deliveries)) == len(deliveries)  # one id per event, for a receiver to drop repeats by
    for headers, body in receiver.posts:
        want = "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Qcdeploy-Signature-256"] == want
        assert HOOK_SECRET.encode() not in body and SECRET.encode() not in body


def test_all_well_is_exit_0_and_unmanaged_can_be_left_out(cli, sandbox, repo):
    from tests.helpers import NODE3, P_PAIRS

    deploy(cli, repo)
    result = cli("watch", "--once", str(repo))
    assert result.code == 0, result.text
    assert "all well" in result.out
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3)  # someone else's strategy, no manifest claims it
    found = cli("watch", "--once", str(repo))
    assert found.code == 2 and "unmanaged" in found.out
    assert cli("watch", "--once", "--ignore-unmanaged", str(repo)).code == 0


def test_crash_is_reported_not_healed_by_default(cli, sandbox, repo, receiver):
    deploy(cli, repo)
    crashed = sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: margin call")["deployId"]
    result = cli("watch", "--once", str(repo))
    assert result.code == 2, result.text
    assert "crashed" in result.out and "margin call" in result.out
    assert sandbox.active(P_MOMENTUM) == []  # report only: nothing redeployed
    assert receiver.events() == [("crashed", "momentum")]
    assert json.loads(receiver.posts[0][1])["deployId"] == crashed
    assert cli("watch", "--once", str(repo)).code == 2
    assert receiver.events() == [("crashed", "momentum")]  # sent once, not once per pass
    signed(receiver)


def test_crash_healed_once_with_one_crashed_and_one_healed_event(cli, sandbox, repo, receiver, ledger_path):
    deploy(cli, repo, crashed="redeploy", backoff="0s")
    crashed = sandbox.admin("crash", projectId=P_MOMENTUM)["deployId"]
    result = cli("watch", "--once", str(repo))
    assert result.code == 2, result.text
    assert "healed" in result.out
    [running] = sandbox.active(P_MOMENTUM)
    assert running["deployId"] != crashed
    assert len(sandbox.deployments(P_MOMENTUM)) == 2  # exactly one redeploy
    assert sorted(receiver.events()) == [("crashed", "momentum"), ("healed", "momentum")]
    healed = next(json.loads(b) for _, b in receiver.posts if json.loads(b)["event"] == "healed")
    assert healed["deployId"] == running["deployId"] and healed["environment"] == ""
    signed(receiver)
    history = json.loads(ledger_path.read_text())["history"]
    [heal] = [e for e in history if e["event"] == "healed"]
    assert heal["name"] == "momentum" and heal["from"] == crashed and heal["deployId"] == running["deployId"]
    again = cli("watch", "--once", str(repo))
    assert again.code == 0, again.text
    assert len(sandbox.deployments(P_MOMENTUM)) == 2 and len(receiver.posts) == 2


def test_stop_outside_is_reported_and_not_undone(cli, sandbox, repo, receiver):
    deploy(cli, repo, crashed="redeploy")
    sandbox.admin("stop", projectId=P_MEANREV, settled=True)
    sandbox.admin("stop", projectId=P_MOMENTUM, settled=True, **{"as": "Liquidated"})
    result = cli("watch", "--once", str(repo))
    assert result.code == 2
    assert result.out.count("stopped-outside") == 2
    assert "stopped outside qcdeploy: `qcdeploy apply` starts it again, or set state: stopped" in result.out
    assert sandbox.active(P_MEANREV) == [] and sandbox.active(P_MOMENTUM) == []
    assert sorted(receiver.events()) == [("stopped-outside", "meanrev"), ("stopped-outside", "momentum")]


def test_stop_outside_redeployed_only_when_asked(cli, sandbox, repo):
    deploy(cli, repo, stoppedOutside="redeploy")
    sandbox.admin("stop", projectId=P_MOMENTUM, settled=True)
    sandbox.admin("stop", projectId=P_MEANREV, settled=True)
    assert cli("watch", "--once", str(repo)).code == 2
    assert len(sandbox.active(P_MOMENTUM)) == 1 and sandbox.active(P_MEANREV) == []


def test_crash_loop_gives_up_at_max_restarts_with_one_gave_up_event(cli, sandbox, repo, receiver):
    deploy(cli, repo, crashed="redeploy", maxRestarts=2, backoff="0s")
    for _ in range(2):
        sandbox.admin("crash", projectId=P_MOMENTUM)
        assert "healed" in cli("watch", "--once", str(repo)).out
    sandbox.admin("crash", projectId=P_MOMENTUM)
    for _ in range(2):
        result = cli("watch", "--once", str(repo))
        assert result.code == 2 and "GAVE UP" in result.out
    assert sandbox.active(P_MOMENTUM) == []
    assert len(sandbox.deployments(P_MOMENTUM)) == 3
    assert receiver.events().count(("gave-up", "momentum")) == 1
    assert receiver.events().count(("healed", "momentum")) == 2


def freeze_now() -> str:
    today = datetime.now(timezone.utc).date()
    return (
        f"freezes:\n  - {{from: {today - timedelta(days=1)}, to: {today + timedelta(days=1)}, reason: quarter end}}\n"
    )


def test_closed_window_holds_a_heal_back_unless_allowed(cli, sandbox, repo, receiver, tmp_path):
    deploy(cli, repo, crashed="redeploy", backoff="0s")
    config = tmp_path / ".qcdeploy.yaml"
    config.write_text(config.read_text() + freeze_now())
    crashed = sandbox.admin("crash", projectId=P_MOMENTUM)["deployId"]
    held = cli("watch", "--once", str(repo))
    assert held.code == 2 and "held" in held.out and "inside freeze" in held.out
    assert sandbox.active(P_MOMENTUM) == [] and len(sandbox.deployments(P_MOMENTUM)) == 1
    assert receiver.events() == [("crashed", "momentum")]
    deploy_file = repo / "a.yaml"
    write(
        repo,
        "a.yaml",
        manifest("momentum", P_MOMENTUM, heal={"crashed": "redeploy", "backoff": "0s", "duringClosedWindows": True}),
    )
    assert deploy_file.exists()
    healed = cli("watch", "--once", str(repo))
    assert healed.code == 2 and "healed" in healed.out, healed.text
    [running] = sandbox.active(P_MOMENTUM)
    assert running["deployId"] != crashed


def test_sync_applies_a_manifest_change_and_plain_watch_does_not(cli, sandbox, repo):
    deploy(cli, repo)
    [before] = sandbox.active(P_MOMENTUM)
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast-period": 12}))
    plain = cli("watch", "--once", str(repo))
    assert plain.code == 2 and "manifest-changed" in plain.out
    assert [d["deployId"] for d in sandbox.active(P_MOMENTUM)] == [before["deployId"]]
    synced = cli("watch", "--once", "--sync", str(repo))
    assert synced.code == 2 and "synced" in synced.out, synced.text
    [after] = sandbox.active(P_MOMENTUM)
    assert after["deployId"] != before["deployId"]
    assert cli("watch", "--once", str(repo)).code == 0


def test_a_failing_target_never_fails_the_pass_and_gets_the_event_next_pass(cli, sandbox, repo, receiver, monkeypatch):
    from qcdeploy.notify import deliver

    monkeypatch.setattr(deliver, "BACKOFF", 0.0)
    deploy(cli, repo)
    sandbox.admin("crash", projectId=P_MOMENTUM)
    receiver.fail = deliver.ATTEMPTS  # every attempt of this pass refused
    first = cli("watch", "--once", str(repo))
    assert first.code == 2 and "notification not sent" in first.out and "HTTP 500" in first.out
    assert receiver.events() == []
    assert cli("watch", "--once", str(repo)).code == 2
    assert receiver.events() == [("crashed", "momentum")]
    receiver.fail = 1  # one refusal is retried within the pass
    sandbox.admin("stop", projectId=P_MEANREV, settled=True)
    assert cli("watch", "--once", str(repo)).code == 2
    assert receiver.events() == [("crashed", "momentum"), ("stopped-outside", "meanrev")]


def test_apply_notifies_what_it_did(cli, repo, receiver, tmp_path):
    (tmp_path / ".qcdeploy.yaml").write_text(f"notify:\n  - webhook: {receiver.url}\n    events: [applied]\n")
    deploy(cli, repo)
    assert sorted(receiver.events()) == [("applied", "meanrev"), ("applied", "momentum")]
    assert "X-Qcdeploy-Signature-256" not in receiver.posts[0][0]  # no secret set: unsigned


def test_bad_notify_refuses_apply_before_anything_changes(cli, sandbox, repo, tmp_path):
    config = tmp_path / ".qcdeploy.yaml"
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM))
    for text, message in [
        ("notify:\n  - webhook: http://hooks.example.com/x\n", "plain http to a non-loopback host"),
        (
            "notify:\n  - webhook: https://hooks.example.com/x\n    secret: written-in-clear\n",
            "never in the repository",
        ),
        ("notify:\n  - webhook: https://hooks.example.com/x\n    events: [crashd]\n", "unknown event(s) crashd"),
        ("notify:\n  - slack: ${env:NOT_SET_ANYWHERE}\n", "NOT_SET_ANYWHERE is not set"),
        (
            "notify:\n  - email: {to: [ops@example.com], smtp: 'mx:587', password: written-in-clear}\n",
            "never in the repository",
        ),
        ("notify:\n  - email: {to: [ops@example.com], smtp: mx}\n", "HOST:PORT"),
    ]:
        config.write_text(text)
        result = cli("apply", "--auto-approve", str(repo))
        assert result.code == 1 and message in result.err, result.text
        assert "Traceback" not in result.text and "written-in-clear" not in result.text
        assert cli("watch", "--once", str(repo)).code == 1
    assert sandbox.active(P_MOMENTUM) == []


def test_bad_heal_is_refused_with_its_place(cli, repo, tmp_path):
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, heal={"crashed": "restart"}))
    result = cli("validate", str(repo))
    assert result.code == 1 and "a.yaml:" in result.text and "heal.crashed" in result.text, result.text
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM))
    (tmp_path / ".qcdeploy.yaml").write_text("heal:\n  maxRestart: 2\n")
    result = cli("watch", "--once", str(repo))
    assert result.code == 1 and "unknown heal setting(s) maxRestart" in result.err, result.text


def get(url: str, token: str = "") -> tuple[int, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_metrics_healthz_and_status_page(cli, sandbox, repo, monkeypatch):
    import os

    from prometheus_client.parser import text_string_to_metric_families

    from qcdeploy.cli.commands.watch import _at_stake, _pass
    from qcdeploy.cli.watching import WatchOptions, run_pass
    from qcdeploy.cli.watchserver import start
    from qcdeploy.cli.workspace import App
    from qcdeploy.config import settings_from
    from qcdeploy.manifests.repofile import state_location

    deploy(cli, repo)
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: <script>x</script>")
    app = App(settings_from({}, dict(os.environ), state_location), dict(os.environ))
    server = start("127.0.0.1:0", "", lambda _: None)
    try:
        base = f"http://{server.address}"
        assert get(base + "/healthz")[0] == 503  # no pass yet
        sandbox.admin("set-portfolio", projectId=P_MEANREV, holdings={}, cash={"USD": {"amount": 1000}})
        report = run_pass(app, WatchOptions((str(repo),)))
        server.update(report, _at_stake(app, report))
        assert get(base + "/healthz") == (200, "ok\n")
        status, text = get(base + "/metrics")
        families = {f.name: f for f in text_string_to_metric_families(text)}
        healthy = {s.labels["deployment"]: s.value for s in families["qcdeploy_deployment_healthy"].samples}
        assert healthy == {"momentum": 0.0, "meanrev": 1.0}
        observed = {s.labels["deployment"]: s.labels["status"] for s in families["qcdeploy_deployment_status"].samples}
        assert observed == {"momentum": "RuntimeError", "meanrev": "Running"}
        assert families["qcdeploy_drift_findings"].samples[0].value == 1
        assert families["qcdeploy_last_pass_timestamp_seconds"].samples[0].value > 0
        status, html = get(base + "/")
        assert status == 200 and 'http-equiv="refresh"' in html
        assert 'data-deployment="momentum"' in html and "Degraded" in html and "<script>" not in html
        assert "no holdings; cash USD 1,000.00" in html
        assert get(base + "/nothing")[0] == 404
        monkeypatch.setenv("QC_API_TOKEN", "wrong")
        refused = App(settings_from({}, dict(os.environ), state_location), dict(os.environ))
        assert _pass(refused, WatchOptions((str(repo),)), False, server, once=False) == 1  # the loop goes on
        assert get(base + "/healthz")[0] == 503
        families = {f.name: f for f in text_string_to_metric_families(get(base + "/metrics")[1])}
        errors = {
            s.labels["kind"]: s.value for s in families["qcdeploy_pass_errors"].samples if s.name.endswith("_total")
        }
        assert errors == {"api": 1.0, "other": 0.0}
        config = repo.parent / ".qcdeploy.yaml"
        config.write_text(config.read_text() + "heal: {crashed: redeploy}\n")  # now the crash is healed
        server.update(run_pass(app, WatchOptions((str(repo),), health_window=0)))
        assert get(base + "/healthz")[0] == 200
        families = {f.name: f for f in text_string_to_metric_families(get(base + "/metrics")[1])}
        healthy = {s.labels["deployment"]: s.value for s in families["qcdeploy_deployment_healthy"].samples}
        restarts = {s.labels["deployment"]: s.value for s in families["qcdeploy_deployment_restarts"].samples}
        assert healthy == {"momentum": 1.0, "meanrev": 1.0} and restarts == {"momentum": 1.0, "meanrev": 0.0}
    finally:
        server.close()


def test_listen_beyond_loopback_needs_a_token(cli, repo, monkeypatch):
    deploy(cli, repo)
    refused = cli("watch", "--once", "--listen", "0.0.0.0:0", str(repo))
    assert refused.code == 1 and "QCDEPLOY_LISTEN_TOKEN" in refused.err
    bad = cli("watch", "--once", "--listen", "nowhere", str(repo))
    assert bad.code == 1 and "HOST:PORT" in bad.err
    served = cli("watch", "--once", "--listen", "127.0.0.1:0", str(repo))
    assert served.code == 0 and "Serving /metrics" in served.err


def test_a_token_guards_everything_but_healthz():
    from qcdeploy.cli.watchserver import start

    server = start("127.0.0.1:0", "tok-123", lambda _: None, refresh=7)
    try:
        base = f"http://{server.address}"
        assert '<meta http-equiv="refresh" content="7">' in get(base + "/", "tok-123")[1]  # the watch interval
        assert get(base + "/metrics")[0] == 401 and get(base + "/", "wrong")[0] == 401
        assert get(base + "/metrics", "tok-123")[0] == 200
        assert get(base + "/healthz")[0] == 503
    finally:
        server.close()


def test_sigterm_during_a_heal_finishes_it_then_stops(cli, sandbox, repo, ledger_path, tmp_path):
    import signal

    deploy(cli, repo, crashed="redeploy")
    crashed = sandbox.admin("crash", projectId=P_MOMENTUM)["deployId"]
    sandbox.server.world.delay = 1.0
    proc = qcdeploy_process("watch", "--interval", "1h", str(repo), cwd=tmp_path)
    seen = read_until(proc.stdout, "momentum: deploying project")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    text = seen + out
    assert proc.returncode == 130, text + err
    assert "Received SIGTERM: finishing the pass in progress" in err and "Traceback" not in err
    assert "healed" in text
    [running] = sandbox.active(P_MOMENTUM)
    assert running["deployId"] != crashed
    ledger = json.loads(ledger_path.read_text())
    assert ledger["deployments"]["momentum"]["deployId"] == running["deployId"]
    assert [e["event"] for e in ledger["history"] if e["event"] == "healed"] == ["healed"]


def test_an_environment_sets_heal_and_notify_for_its_deployments(cli, sandbox, tmp_path, receiver, monkeypatch):
    import shutil

    from tests.helpers import P_SPARE

    monkeypatch.chdir(tmp_path)
    sandbox.server.world.projects[P_SPARE].name = "Paper/Momentum"
    tree = tmp_path / "deployments"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "environments", tree)
    paper = tree / "paper.yaml"
    paper.write_text(
        paper.read_text().replace(
            "spec:\n",
            f"spec:\n  heal: {{crashed: redeploy, backoff: 0s}}\n  notify:\n    - webhook: {receiver.url}\n"
            "      events: [crashed, healed]\n",
            1,
        )
    )
    assert cli("validate", str(tree)).code == 0
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    every = cli("watch", "--once", str(tree))  # no --env: each environment in turn, each with its own ledger
    assert every.code == 2 and "[live]" in every.out, every.text  # live's deployment was never applied
    assert cli("watch", "--once", "--listen", "127.0.0.1:0", str(tree)).code == 1  # one page: one environment
    crashed = sandbox.admin("crash", projectId=P_SPARE)["deployId"]
    result = cli("watch", "--once", "--env", "paper", str(tree))
    assert result.code == 2 and "[paper]" in result.out and "healed" in result.out, result.text
    [running] = sandbox.active(P_SPARE)
    assert running["deployId"] != crashed
    payloads = [json.loads(b) for _, b in receiver.posts]
    assert sorted((p["event"], p["environment"]) for p in payloads) == [("crashed", "paper"), ("healed", "paper")]


def test_pull_fast_forwards_the_checkout_before_the_pass(cli, sandbox, tmp_path, monkeypatch):
    import subprocess

    def git(cwd, *args):
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    for key, value in (("NAME", "CI"), ("EMAIL", "ci@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    origin, work, other = tmp_path / "origin.git", tmp_path / "work", tmp_path / "other"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    write(work / "deployments", "a.yaml", manifest("momentum", P_MOMENTUM))
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "momentum")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    monkeypatch.chdir(work)
    assert cli("apply", "--auto-approve", "deployments").code == 0
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    write(other / "deployments", "b.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    git(other, "add", ".")
    git(other, "commit", "--quiet", "-m", "meanrev")
    git(other, "push", "--quiet", "origin", "HEAD:main")
    assert cli("watch", "--once", "deployments").code == 0  # without --pull: the checkout as it is
    pulled = cli("watch", "--once", "--pull", "deployments")
    assert pulled.code == 2 and "not-deployed" in pulled.out and "meanrev" in pulled.out, pulled.text
    assert (work / "deployments" / "b.yaml").is_file()
    assert sandbox.active(P_MEANREV) == []  # found, not applied: no --sync


def test_a_heal_whose_secret_is_not_set_here_is_reported_not_attempted(cli, sandbox, repo, monkeypatch):
    from tests.helpers import ib_brokerage

    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, brokerage=ib_brokerage(), heal={"crashed": "redeploy"}))
    assert cli("apply", "--auto-approve", str(repo)).code == 0
    sandbox.admin("crash", projectId=P_MOMENTUM)
    monkeypatch.delenv("IB_PASSWORD")
    result = cli("watch", "--once", str(repo))
    assert result.code == 2, result.text
    assert "not healing or syncing" in result.out and "IB_PASSWORD" in result.out and "crashed" in result.out
    assert sandbox.active(P_MOMENTUM) == [] and len(sandbox.deployments(P_MOMENTUM)) == 1


def test_slack_gets_one_line_and_its_url_is_never_shown(cli, sandbox, repo, receiver, tmp_path, monkeypatch):
    from qcdeploy.notify import deliver

    monkeypatch.setattr(deliver, "BACKOFF", 0.0)
    token_url = receiver.url + "/T000/B000/XXXXsecretXXXX"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", token_url)
    (tmp_path / ".qcdeploy.yaml").write_text("notify:\n  - slack: ${env:SLACK_WEBHOOK_URL}\n    events: [crashed]\n")
    deploy(cli, repo)
    sandbox.admin("crash", projectId=P_MOMENTUM, error="Runtime Error: margin call")
    receiver.fail = deliver.ATTEMPTS
    failed = cli("watch", "--once", str(repo))
    assert failed.code == 2 and "notification not sent: slack (slack:" in failed.out
    assert "XXXXsecretXXXX" not in failed.text
    assert cli("watch", "--once", str(repo)).code == 2
    [(_, body)] = receiver.posts
    assert json.loads(body) == {"text": "qcdeploy: crashed momentum: RuntimeError: Runtime Error: margin call"}


def test_a_heal_that_fails_is_reported_and_counts_as_a_restart(cli, sandbox, repo, receiver, ledger_path):
    deploy(cli, repo, crashed="redeploy", backoff="0s", maxRestarts=2)
    sandbox.admin("crash", projectId=P_MOMENTUM)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, error="DeployError: the brokerage refused the login")
    for _ in range(2):
        failed = cli("watch", "--once", str(repo))
        assert failed.code == 2 and "-> failed: " in failed.out and "refused the login" in failed.out, failed.text
    history = json.loads(ledger_path.read_text())["history"]
    assert [e["event"] for e in history if e.get("name") == "momentum"] == ["heal-failed", "heal-failed"]
    gave_up = cli("watch", "--once", str(repo))
    assert gave_up.code == 2 and "GAVE UP" in gave_up.out
    assert len(sandbox.deployments(P_MOMENTUM)) == 3  # the crashed one and two failed heals, no more
    assert receiver.events().count(("heal-failed", "momentum")) == 2
    assert receiver.events().count(("gave-up", "momentum")) == 1


def test_a_heal_waits_while_another_run_holds_the_ledger(cli, sandbox, repo, ledger_path):
    from qcdeploy.ledger import lock
    from qcdeploy.ledger.backends import open_backend

    deploy(cli, repo, crashed="redeploy", backoff="0s")
    sandbox.admin("crash", projectId=P_MOMENTUM)
    with lock.held(open_backend(str(ledger_path)), "apply", 0, lambda _: None):
        held = cli("watch", "--once", str(repo))
    assert held.code == 2 and "not healing or notifying this pass" in held.out, held.text
    assert sandbox.active(P_MOMENTUM) == []
    assert "healed" in cli("watch", "--once", str(repo)).out and len(sandbox.active(P_MOMENTUM)) == 1


def test_sync_passes_every_gate_a_protected_replace_is_held(cli, sandbox, repo):
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, protect=True))
    assert cli("apply", "--auto-approve", str(repo)).code == 0
    [before] = sandbox.active(P_MOMENTUM)
    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, protect=True, parameters={"fast-period": 12}))
    held = cli("watch", "--once", "--sync", str(repo))
    assert held.code == 2 and "-> held: " in held.out and "protect" in held.out, held.text
    assert [d["deployId"] for d in sandbox.active(P_MOMENTUM)] == [before["deployId"]]


def test_a_live_heal_waits_for_the_paper_first_gate(cli, sandbox, tmp_path, monkeypatch):
    import shutil

    from tests.helpers import P_SPARE

    monkeypatch.chdir(tmp_path)
    sandbox.server.world.projects[P_SPARE].name = "Paper/Momentum"
    tree = tmp_path / "deployments"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "environments", tree)
    live = tree / "live.yaml"
    live.write_text(
        live.read_text().replace(
            "spec:\n", "spec:\n  promotion: {from: paper, healthyFor: 24h}\n  heal: {crashed: redeploy}\n", 1
        )
    )
    assert cli("apply", "--env", "paper", "--auto-approve", str(tree)).code == 0
    sandbox.admin("age", projectId=P_SPARE, seconds=2 * 86400)
    assert cli("apply", "--env", "live", "--auto-approve", str(tree)).code == 0
    sandbox.admin("crash", projectId=P_SPARE)  # paper crashed too: what live would restart has not stayed up
    sandbox.admin("crash", projectId=P_MOMENTUM)
    held = cli("watch", "--once", "--env", "live", str(tree))
    assert held.code == 2 and "-> held: " in held.out and "paper" in held.out, held.text
    assert sandbox.active(P_MOMENTUM) == []


def test_a_heal_with_a_broker_secret_leaks_it_nowhere(cli, sandbox, repo, receiver, ledger_path, tmp_path):
    from tests.helpers import ib_brokerage

    write(repo, "a.yaml", manifest("momentum", P_MOMENTUM, brokerage=ib_brokerage(), heal={"crashed": "redeploy"}))
    assert cli("apply", "--auto-approve", str(repo)).code == 0
    sandbox.admin("crash", projectId=P_MOMENTUM, error=f"Runtime Error: login {SECRET} refused")  # echoed by the API
    result = cli("-v", "watch", "--once", str(repo))
    assert result.code == 2 and "healed" in result.out, result.text
    assert len(sandbox.active(P_MOMENTUM)) == 1
    assert SECRET not in result.text and SECRET not in ledger_path.read_text()
    assert receiver.posts and all(SECRET.encode() not in body for _, body in receiver.posts)
    signed(receiver)


def test_a_heal_that_dies_in_its_health_window_is_retried_as_watch_made_it(cli, sandbox, repo, receiver):
    deploy(cli, repo, crashed="redeploy", backoff="0s", maxRestarts=2)
    sandbox.admin("crash", projectId=P_MOMENTUM)
    sandbox.admin("break-deploy", projectId=P_MOMENTUM, crashAfter=0.1)
    for _ in range(2):
        result = cli("watch", "--once", "--health-window", "1", str(repo))
        assert result.code == 2 and "-> failed: " in result.out, result.text
    assert len(sandbox.deployments(P_MOMENTUM)) == 3
    gave_up = cli("watch", "--once", "--health-window", "1", str(repo))
    assert "GAVE UP" in gave_up.out, gave_up.text
    assert receiver.events().count(("heal-failed", "momentum")) == 2
