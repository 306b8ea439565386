"""The email target against a real SMTP conversation on loopback: STARTTLS before the login, or nothing sent."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from qcdeploy.notify.base import Event, NotifyFailed
from qcdeploy.notify.email import Email

EVENT = Event("crashed", "live", "momentum", 1, "L-1", "Runtime Error: margin call", "2026-11-02T00:00:00Z")
PASSWORD = "smtp-pass-5e6f7a8b"


class Smtp:
    """Just enough of an SMTP server: EHLO, optional STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        self.tls, self.message = tls, ""
        self.said: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        stream = conn.makefile("rwb")
        self._reply(stream, "220 localhost ESMTP")
        while line := stream.readline().decode().rstrip("\r\n"):
            self.said.append(line)
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                offers = ["250-localhost"] + (
                    ["250-STARTTLS"] if self.tls and not isinstance(conn, ssl.SSLSocket) else []
                )
                for offer in [*offers, "250 AUTH PLAIN"]:
                    self._reply(stream, offer)
            elif verb == "STARTTLS" and self.tls:
                self._reply(stream, "220 go ahead")
                conn = self.tls.wrap_socket(conn, server_side=True)
                stream = conn.makefile("rwb")
                self.said.append("(tls)")
            elif verb == "DATA":
                self._reply(stream, "354 end with .")
                body = []
                while (data := stream.readline().decode()) != ".\r\n":
                    body.append(data)
                self.message = "".join(body)
                self._reply(stream, "250 queued")
            elif verb == "QUIT":
                self._reply(stream, "221 bye")
                break
            else:
                self._reply(stream, "235 ok" if verb == "AUTH" else "250 ok")
        conn.close()

    @staticmethod
    def _reply(stream, text: str) -> None:
        stream.write((text + "\r\n").encode())
        stream.flush()


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def test_email_is_sent_after_starttls_only(tls):
    server_ctx, client_ctx = tls
    smtp = Smtp(server_ctx)
    Email(("ops@example.com",), "127.0.0.1", smtp.port, "ops", PASSWORD, events=frozenset(), tls=client_ctx).send(EVENT)
    tls_at = smtp.said.index("(tls)")
    auth = next(i for i, line in enumerate(smtp.said) if line.startswith("AUTH"))
    assert tls_at < auth  # the login travels encrypted
    assert "Subject: qcdeploy (live): crashed momentum: Runtime Error: margin call" in smtp.message
    assert '"deployId": "L-1"' in smtp.message and PASSWORD not in smtp.message


def test_a_server_without_starttls_gets_nothing_not_even_the_login():
    smtp = Smtp(None)
    with pytest.raises(NotifyFailed, match="does not offer STARTTLS"):
        Email(("ops@example.com",), "127.0.0.1", smtp.port, "ops", PASSWORD).send(EVENT)
    assert not any(line.startswith(("AUTH", "MAIL", "DATA")) for line in smtp.said)
