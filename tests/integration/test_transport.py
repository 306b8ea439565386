"""Where requests may go: a catcher on a second loopback address must never hear from qcdeploy."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


class Catcher:
    """A TCP listener on 127.0.0.2 that records every connection (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.2", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.heard: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.heard.append(conn.recv(65536) or b"(connected)")
                except OSError:
                    self.heard.append(b"(connected)")

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    c = Catcher()
    yield c
    c.close()


def test_url_parsed_differently_by_two_parsers_is_refused(cli, sandbox, manifests, monkeypatch, catcher):
    port = sandbox.url.split(":")[2].split("/")[0]
    monkeypatch.setenv("QC_API_URL", f"http://127.0.0.2:{catcher.port}\\@127.0.0.1:{port}/api/v2/")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("plan", str(manifests))
    assert result.code == 1 and "contains a backslash" in result.err
    monkeypatch.setenv("QC_API_URL", f"http://user:secret-pw@127.0.0.1:{port}/api/v2/")
    userinfo = cli("plan", str(manifests))
    assert userinfo.code == 1 and "must not carry a user or password" in userinfo.err
    assert "secret-pw" not in userinfo.text
    assert catcher.heard == []


def test_redirect_sends_nothing_to_the_other_host(cli, sandbox, manifests, catcher):
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    sandbox.admin(
        "faults", once={"redirect": {"live/create": 1}}, redirectTo=f"http://127.0.0.2:{catcher.port}/api/v2/"
    )
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and f"a redirect to 127.0.0.2:{catcher.port}" in result.out
    assert catcher.heard == []


def test_http_state_backend_refuses_plain_http_off_loopback(cli, manifests, monkeypatch, catcher):
    monkeypatch.setenv("QCDEPLOY_STATE", "http://192.0.2.1/state")
    monkeypatch.setenv("QCDEPLOY_STATE_PASSWORD", "state-service-password")
    write(manifests, "m.yaml", manifest("momentum", P_MOMENTUM))
    result = cli("plan", str(manifests))
    assert result.code == 1 and "plain http to a non-loopback host" in result.err
    monkeypatch.setenv("QCDEPLOY_STATE", f"https://ci:UrlPass@127.0.0.2:{catcher.port}/state")
    unreachable = cli("plan", str(manifests))
    assert (
        unreachable.code == 1 and "UrlPass" not in unreachable.text and "state-service-password" not in unreachable.text
    )


def test_sandbox_listens_on_loopback_only_and_says_so_when_the_port_is_taken(sandbox):
    from qcdeploy.errors import ConfigError
    from qcdeploy.sandbox.seed import world_from_seed
    from qcdeploy.sandbox.server import start
    from tests.helpers import SEED

    for host in ("0.0.0.0", "::", "192.0.2.1", "example.com"):
        with pytest.raises(ConfigError, match="loopback addresses only"):
            start(world_from_seed(SEED), host=host)
    taken = int(sandbox.url.split(":")[2].split("/")[0])
    with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{taken}"):
        start(world_from_seed(SEED), port=taken)
    six = start(world_from_seed(SEED), host="::1")
    try:
        assert six.url.startswith("http://[::1]:")
    finally:
        six.shutdown()
        six.server_close()
