"""Bad credentials, unreachable or broken APIs, unknown projects and nodes: one clear message, exit 1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import API_TOKEN, P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def assert_clean_failure(result, *fragments):
    assert result.code == 1, result.text
    assert "Traceback" not in result.text
    for fragment in fragments:
        assert fragment in result.err, result.err


@pytest.mark.parametrize(
    ("status", "fragments"),
    [
        (200, ("refused the credentials (Hash doesn't match.)", "Check QC_USER_ID and QC_API_TOKEN")),
        (401, ("refused the credentials", "Check QC_USER_ID and QC_API_TOKEN")),
        (500, ("refused the credentials (Hash doesn't match.)", "Check QC_USER_ID and QC_API_TOKEN")),
    ],
)
def test_bad_token(cli, sandbox, manifests, monkeypatch, status, fragments):
    """qc-api §1: a refused hash has been seen as 200 with success:false, 401 and 500; each is a clear error
    (the 500 because its body says so, not because it is a 500)."""
    sandbox.admin("auth-failure-status", status=status)
    monkeypatch.setenv("QC_API_TOKEN", "not-the-token")
    monkeypatch.setenv("QCDEPLOY_RETRIES", "1")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("plan", str(manifests))
    assert_clean_failure(result, *fragments)
    assert "not-the-token" not in result.text


def test_missing_credentials(cli, manifests, monkeypatch):
    monkeypatch.delenv("QC_API_TOKEN")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(cli("plan", str(manifests)), "QC_API_TOKEN not set")


def test_plain_http_to_remote_host_refused(cli, manifests, monkeypatch):
    monkeypatch.setenv("QC_API_URL", "http://api.example.com/api/v2/")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(cli("plan", str(manifests)), "plain http to a non-loopback host")


def test_connection_refused(cli, manifests, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("QC_API_URL", f"http://127.0.0.1:{port}/api/v2/")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(cli("plan", str(manifests)), "cannot reach the QuantConnect API")


def test_timeout(cli, sandbox, manifests, monkeypatch):
    monkeypatch.setenv("QCDEPLOY_HTTP_TIMEOUT", "0.2")
    sandbox.admin("faults", latency=1.0)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(cli("plan", str(manifests)), "live/list: no answer within 0.2s")


class _Html(BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"<html><body>Bad gateway page from a proxy</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_non_json_answer(cli, manifests, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Html)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("QC_API_URL", f"http://127.0.0.1:{server.server_address[1]}/api/v2/")
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        assert_clean_failure(
            cli("plan", str(manifests)), "live/list: the API answered HTTP 200 with a body that is not a JSON object"
        )
    finally:
        server.shutdown()


def test_transient_5xx_and_429_on_reads_are_retried(cli, sandbox, manifests):
    sandbox.admin("faults", once={"error": {"live/list": 1}, "throttle": {"projects/read": 1}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("-v", "plan", str(manifests))
    assert result.code == 0, result.err
    assert "Plan: 1 to create" in result.out
    assert (
        "live/list: the API answered HTTP 500 (a failure on QuantConnect's side): Internal Error 21" in result.err
        and "retrying in" in result.err
    )
    assert "(1 of 4)" in result.err  # -v shows every retry


def test_persistent_5xx_is_an_error(cli, sandbox, manifests, monkeypatch):
    monkeypatch.setenv("QCDEPLOY_RETRIES", "1")
    sandbox.admin("faults", once={"error": {"projects/nodes/read": 10, "nodes/read": 10}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(
        cli("plan", str(manifests)), "nodes/read: the API answered HTTP 500 (a failure on QuantConnect's side)"
    )


def test_an_empty_500_is_a_server_failure_not_bad_credentials(cli, sandbox, manifests, monkeypatch):
    """lean-cli e55f2a54 (qc-api §13): an empty-body 500 is an outage; it is retried, then reported as the
    server's failure, and nothing sends the user to rotate their token."""
    monkeypatch.setenv("QCDEPLOY_RETRIES", "2")
    sandbox.admin("faults", once={"empty-500": {"live/list": 10}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("plan", str(manifests))
    assert_clean_failure(result, "live/list: the API answered HTTP 500 (a failure on QuantConnect's side)")
    assert "credentials" not in result.text and "QC_API_TOKEN" not in result.text
    assert sandbox.calls()["live/list"] == 3  # retried


def test_an_http_403_is_not_blamed_on_the_credentials(cli, sandbox, manifests, monkeypatch):
    """Credentials are blamed only on 401 or QuantConnect's documented auth messages."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("QC_API_URL", f"http://127.0.0.1:{server.server_address[1]}/api/v2/")
        write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
        result = cli("plan", str(manifests))
        assert_clean_failure(result, "the API answered HTTP 403: blocked by a firewall")
        assert "credentials" not in result.text
    finally:
        server.shutdown()


class _Forbidden(BaseHTTPRequestHandler):
    def do_POST(self):
        body = b'{"success": false, "errors": ["blocked by a firewall"]}'
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_nodes_fall_back_to_the_legacy_endpoint(cli, sandbox, manifests, monkeypatch):
    monkeypatch.setenv("QCDEPLOY_RETRIES", "0")
    sandbox.admin("faults", once={"error": {"projects/nodes/read": 1}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("plan", str(manifests))
    assert result.code == 0 and "+ momentum" in result.out
    assert sandbox.calls().get("nodes/read") == 1


def test_a_project_name_in_the_wrong_case_is_refused_with_the_one_meant(cli, manifests):
    path = write(manifests, "m.yaml", manifest("momentum", "live/momentum"))
    result = cli("plan", str(manifests))
    assert_clean_failure(
        result,
        f"{path}:6:3: spec.project: no project named 'live/momentum' in this account (did you mean 'Live/Momentum'?)",
    )


def test_unknown_project_and_node_name_the_manifest_line(cli, manifests):
    path = write(manifests, "m.yaml", manifest("momentum", "Live/Nope", node="node-9"))
    result = cli("plan", str(manifests))
    assert_clean_failure(
        result,
        f"{path}:6:3: spec.project: no project named 'Live/Nope' in this account",
        f"{path}:7:3: spec.node: no live node 'node-9' (live nodes: live-node-1, live-node-2, live-node-3)",
    )


def test_unknown_project_id(cli, manifests):
    write(manifests, "m.yaml", manifest("momentum", 999))
    assert_clean_failure(cli("plan", str(manifests)), "spec.project: no project with id 999 in this account")


def test_ambiguous_project_name(cli, sandbox, manifests):
    world = sandbox.server.world
    world.projects[P_MOMENTUM].name = "Live/MeanReversion"
    write(manifests, "m.yaml", manifest("momentum", "Live/MeanReversion"))
    assert_clean_failure(cli("plan", str(manifests)), "2 projects are named 'Live/MeanReversion'", "use the id")


def test_unknown_target_name(cli, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(cli("plan", str(manifests), "--target", "nope"), "no manifest or path named 'nope'")


def test_usage_error_exits_1_not_2(cli, manifests):
    result = cli("plan", "--detailed-exitcode", "--no-such-flag", str(manifests))
    assert result.code == 1
    assert "No such option" in result.err


def test_apply_without_terminal_needs_auto_approve(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("apply", str(manifests))
    assert_clean_failure(result, "pass --auto-approve")
    assert sandbox.deployments() == []


def test_malformed_ledger(cli, manifests, ledger_path):
    ledger_path.parent.mkdir(parents=True)
    ledger_path.write_text("{not json")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert_clean_failure(cli("plan", str(manifests)), f"cannot read the ledger {ledger_path}")


def test_lost_create_answer_makes_exactly_one_deployment(cli, sandbox, manifests):
    sandbox.admin("faults", once={"lose": {"live/create": 1}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert "checking whether it was deployed" in result.out and "it was deployed: L-" in result.out
    assert sandbox.calls()["live/create"] == 1  # read before sending again, not refused as a duplicate
    assert len(sandbox.deployments(P_MOMENTUM)) == 1
    assert "No changes." in cli("plan", str(manifests)).out


def test_lost_stop_answer_is_not_resent_blindly(cli, sandbox, manifests):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    sandbox.admin("faults", once={"lose": {"live/update/stop": 1}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM, state="stopped"))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert sandbox.calls()["live/update/stop"] == 1
    assert sandbox.active(P_MOMENTUM) == []


def test_internal_errors_do_not_print_tracebacks_without_verbose(cli, monkeypatch, manifests):
    import qcdeploy.cli.commands.planning as planning

    def boom(*args, **kwargs):
        raise RuntimeError(f"unexpected {API_TOKEN}")

    monkeypatch.setattr(planning, "make_plan", boom)
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    from qcdeploy import redact

    redact.register(API_TOKEN)
    result = cli("plan", str(manifests))
    assert result.code == 3  # a bug, told apart from a refusal (1)
    result.code = 1
    assert_clean_failure(result, "Internal error: RuntimeError: unexpected (sensitive)")
    assert API_TOKEN not in result.text


def test_throttled_write_is_retried_because_it_was_not_processed(cli, sandbox, manifests):
    sandbox.admin("faults", once={"throttle": {"live/create": 1}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert sandbox.calls()["live/create"] == 2
    assert len(sandbox.deployments(P_MOMENTUM)) == 1


def test_500_on_a_write_is_ambiguous_and_reconciled(cli, sandbox, manifests):
    sandbox.admin("faults", once={"error": {"live/create": 1}})
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 0, result.text
    assert "it was not deployed; sending it again" in result.out  # the sandbox's 500 came before the create
    assert len(sandbox.deployments(P_MOMENTUM)) == 1


def test_a_mistyped_path_or_name_gets_a_suggestion(cli, tmp_path, monkeypatch):
    write(tmp_path / "deployments", "m.yaml", manifest("momentum", P_MOMENTUM))
    monkeypatch.chdir(tmp_path)
    assert_clean_failure(
        cli("plan", "deploymnets"), "no manifest or path named 'deploymnets'", "did you mean 'deployments/'?"
    )
    assert_clean_failure(cli("plan", "deployments", "momentun"), "did you mean 'momentum'?")
    assert "did you mean" not in cli("plan", "deployments", "zzzz").err
