"""The sandbox's HTTP server: QuantConnect auth, the /api/v2/ endpoints, admin and fault injection."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import json
import random
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from qcdeploy.errors import ConfigError
from qcdeploy.sandbox import admin
from qcdeploy.sandbox.endpoints import ENDPOINTS, Fail, is_secret_key
from qcdeploy.sandbox.evidence import EVIDENCE
from qcdeploy.sandbox.seed import load_world
from qcdeploy.sandbox.world import World

PREFIX = "/api/v2/"
HANG = 120.0  # the longest a "hang" fault holds a request (a test kills its client long before)
MAX_AGE = 7200  # qc-api §1: older timestamps are refused


@dataclass
class Faults:
    """Injected failures: probabilities per request, plus exact counts per endpoint for tests."""

    latency: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    lose_rate: float = 0.0  # perform a write, then drop the connection without answering
    drop_rate: float = 0.0  # drop the connection before doing anything
    once: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> endpoint -> count
    armed_by: str = ""  # the `once` faults wait until this endpoint has been called (again, after they were set)
    armed_after: int = 0  # how many calls of armed_by there had been when they were set
    meanwhile: dict[str, dict[str, Any]] = field(default_factory=dict)  # endpoint -> another tool's deploy, done
    #   when a 5xx is injected on that endpoint (the call itself is not carried out)
    redirect_to: str = "http://127.0.0.2:9/api/v2/"
    rng: random.Random = field(default_factory=lambda: random.Random(5612))
    calls: dict[str, int] = field(default_factory=dict)
    # "hang" (before doing anything) and "hang-after" (carried out, answer withheld): the request blocks until
    # `release` is set; `hung` tells a test that a client now waits there, so it can kill it at that exact step
    hung: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def take(self, kind: str, endpoint: str, rate: float) -> bool:
        # calls of armed_by since the faults were set, this one aside: the call that arms them is not faulted
        seen = self.calls.get(self.armed_by, 0) - self.armed_after - (endpoint == self.armed_by)
        armed = not self.armed_by or seen > 0
        counts = self.once.get(kind, {}) if armed else {}
        if counts.get(endpoint, 0) > 0:
            counts[endpoint] -= 1
            return True
        return rate > 0 and self.rng.random() < rate


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], world: World, log: str | None = None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.world = world
        self.faults = Faults()
        self.calls: dict[str, int] = {}
        self.log_path = log
        self.log_lock = threading.Lock()

    def record(self, method: str, endpoint: str, content_type: str, body: dict[str, Any]) -> None:
        """One JSON line per API request (credentials masked): what a client really sends."""
        if not self.log_path:
            return
        shown = _masked(body)
        for key, value in body.items():  # form-encoded parameters: the value beside a credential-like key
            match = re.fullmatch(r"parameters\[(\d+)\]\[key\]", str(key))
            if match and is_secret_key(str(value)):
                shown[f"parameters[{match.group(1)}][value]"] = "(secret)"
        line = json.dumps(
            {
                "t": round(time.time(), 3),
                "method": method,
                "endpoint": endpoint,
                "contentType": content_type,
                "body": shown,
            }
        )
        with self.log_lock, open(self.log_path, "a", encoding="utf-8") as out:
            out.write(line + "\n")

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) breaks the pipe; that is the client's business."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{PREFIX}"


class Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the CLI is what users read
        pass

    def do_GET(self) -> None:
        self._handle(dict(parse_qsl(urlsplit(self.path).query)))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        form = self.path.startswith(PREFIX) and self.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        try:
            body = (
                dict(parse_qsl(raw.decode(), keep_blank_values=True))
                if form
                else json.loads(raw)
                if raw.strip()
                else {}
            )
        except ValueError:
            self._send(400, {"success": False, "errors": ["Request body is not valid JSON"]})
            return
        self._handle(body if isinstance(body, dict) else {})

    def _handle(self, body: dict[str, Any]) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/sandbox/"):
            self._send(*admin.handle(self.server, path[len("/sandbox/") :].strip("/"), body))
        elif path.startswith(PREFIX):
            self._api(path[len(PREFIX) :].strip("/"), body)
        else:
            self._send(404, {"success": False, "errors": [f"No such path: {path}"]})

    def _api(self, endpoint: str, body: dict[str, Any]) -> None:
        server, faults = self.server, self.server.faults
        server.record(self.command, endpoint, self.headers.get("Content-Type", ""), body)
        faults.calls = server.calls
        server.calls[endpoint] = server.calls.get(endpoint, 0) + 1
        if faults.latency:
            time.sleep(faults.latency)
        if faults.take("drop", endpoint, faults.drop_rate):
            self.close_connection = True
            return
        if faults.take("error", endpoint, faults.error_rate):
            if endpoint in faults.meanwhile:
                with server.world.lock:
                    server.world.advance()
                    admin.deploy_by_hand(server.world, faults.meanwhile.pop(endpoint))
                    server.world.save()
            self._send(500, {"success": False, "errors": ["Internal Error 21"]})
            return
        if faults.take("empty-500", endpoint, 0.0):  # lean-cli e55f2a54: the real API's outage answer, no body
            self._send_raw(500, b"")
            return
        if faults.take("throttle", endpoint, faults.throttle_rate):
            self._send(429, {"success": False, "errors": ["Too many requests"]}, {"Retry-After": "1"})
            return
        if not self._authorised():  # qc-api §1: 200 with success:false (observed), 401 (OpenAPI) or 500 (lean-cli)
            body = {"success": False, "errors": ["Hash doesn't match. UID: (redacted) Hash: (redacted) Timestamp: ''"]}
            self._send(server.world.auth_failure_status, body)
            return
        entry = ENDPOINTS.get(endpoint) or EVIDENCE.get(endpoint)
        if entry is None:
            self._send(404, {"success": False, "errors": [f"Unknown endpoint: {endpoint}"]})
            return
        if faults.take("hang", endpoint, 0.0):
            self._hang()
            return
        if faults.take("redirect", endpoint, 0.0):  # a proxy sending the call elsewhere; nothing is done here
            self._send(307, {}, {"Location": faults.redirect_to + endpoint})
            return
        if faults.take("echo", endpoint, 0.0):  # an error that repeats the request: whole, escaped, in pieces
            self._send(200, {"success": False, "errors": _echo(body)})
            return
        if faults.take("echo-encoded", endpoint, 0.0):  # the same, each value as other servers and loggers write it
            self._send(200, {"success": False, "errors": _echo_encoded(body)})
            return
        status, answer = 200, self._run(entry, body)
        if faults.take("hang-after", endpoint, 0.0):
            self._hang()
            return
        if entry[1] and faults.take("lose", endpoint, faults.lose_rate):
            self.close_connection = True
            return
        if faults.take("truncate", endpoint, 0.0):  # carried out, then the answer breaks off mid-body
            self._send_raw(status, json.dumps(answer).encode(), cut=True)
            return
        if faults.take("bad-gzip", endpoint, 0.0):  # carried out, then an answer that claims gzip and is not
            self._send_raw(status, json.dumps(answer).encode(), {"Content-Encoding": "gzip"})
            return
        self._send(status, answer)

    def _hang(self) -> None:
        self.server.faults.hung.set()
        self.server.faults.release.wait(HANG)
        self.close_connection = True

    def _run(
        self,
        entry: tuple[Callable[[World, dict[str, Any]], dict[str, Any]], bool],
        body: dict[str, Any],
    ) -> dict[str, Any]:
        handler, writes = entry
        world = self.server.world
        with world.lock:
            world.advance()
            try:
                answer = {"success": True, "errors": [], **handler(world, body)}
            except Fail as exc:
                return {"success": False, "errors": [str(exc)]}
            if writes:
                world.save()
        return answer

    def _authorised(self) -> bool:
        header, stamp = self.headers.get("Authorization", ""), self.headers.get("Timestamp", "")
        if not header.startswith("Basic ") or not stamp.isdigit():
            return False
        try:
            user, _, digest = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        token = self.server.world.users.get(user)
        if token is None or not -300 <= time.time() - int(stamp) <= MAX_AGE:
            return False
        expected = hashlib.sha256(f"{token}:{stamp}".encode()).hexdigest()
        return hmac.compare_digest(expected, digest)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None, cut: bool = False) -> None:
        fields = {
            "Content-Type": "application/json",
            "Content-Length": str(len(data)),
            "Date": formatdate(usegmt=True),
            **(headers or {}),
        }
        if cut:
            data, self.close_connection = data[: len(data) // 2], True
        if self.close_connection:
            fields["Connection"] = "close"
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        head += "".join(f"{key}: {value}\r\n" for key, value in fields.items()) + "\r\n"
        # status, headers and body in one write: a second small write would wait for a delayed ACK (Nagle)
        self.wfile.write(head.encode("latin-1") + data)


def _echo(body: dict[str, Any]) -> list[str]:
    """What a careless server says back: the body as JSON (escaped, non-ASCII as \\uXXXX), then each value."""
    pieces = [f"Invalid request {json.dumps(body)}"]
    for value in _leaves(body):
        pieces.append(f"Login failed for {value.split(':')[-1]}")
    return pieces


def _echo_encoded(body: dict[str, Any]) -> list[str]:
    """Each value as a query string, an HTML page, a Python log line or a JSON-in-JSON error would hold it."""
    pieces = [
        f"Invalid request {json.dumps(json.dumps(body))}",
        f"Invalid request {json.dumps(body)}".replace("/", "\\/"),
    ]
    for value in _leaves(body):
        percent = quote(value, safe="/")
        pieces += [
            f"GET /login?user=x&pw={percent}",
            f"GET /login?pw={re.sub('%..', lambda m: m.group().lower(), percent)}",
            f"POST pw={quote_plus(value)}",
            f"<p>Login failed for {html.escape(value)}</p>",
            f"<p>Login failed for {value.encode('ascii', 'xmlcharrefreplace').decode()}</p>",
            f"<p>Login failed for {''.join(f'&#x{ord(c):x};' for c in value)}</p>",
            f"settings={{'value': {value!r}}}",
            "Login failed for " + "".join(f"\\u{ord(c):04x}" for c in value if ord(c) < 0x10000),
        ]
    return pieces


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in _leaves(v)]
    return [str(value)] if isinstance(value, str) else []


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "(secret)" if is_secret_key(str(k)) else _masked(v) for k, v in value.items()}
    return value


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _bind(host: str, port: int, world: World, log: str | None) -> SandboxServer:
    """The sandbox hands out its token and takes admin calls without auth: it must never face a network."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"--host {host}: the sandbox listens on loopback addresses only (127.0.0.1, ::1, localhost)")
    try:
        return SandboxServer((host, port), world, log)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def start(world: World, host: str = "127.0.0.1", port: int = 0, log: str | None = None) -> SandboxServer:
    """Serve in a background thread (tests, benchmarks); stop with server.shutdown()."""
    server = _bind(host, port, world, log)
    threading.Thread(target=server.serve_forever, name="qcdeploy-sandbox", daemon=True).start()
    return server


def serve(
    *,
    host: str,
    port: int,
    seed: str | None,
    data_dir: str | None,
    delay: float | None,
    faults: dict[str, float],
    say: Callable[[str], None],
    log: str | None = None,
) -> None:
    """Serve in the foreground until interrupted (SIGINT or SIGTERM); loopback addresses only."""
    world = load_world(seed, data_dir, delay)
    server = _bind(host, port, world, log)
    server.faults = Faults(
        latency=faults.get("latency", 0.0),
        error_rate=faults.get("error_rate", 0.0),
        throttle_rate=faults.get("throttle_rate", 0.0),
        lose_rate=faults.get("lose_rate", 0.0),
        drop_rate=faults.get("drop_rate", 0.0),
        rng=random.Random(int(faults.get("fault_seed", 5612))),
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)
    say(f"qcdeploy sandbox listening on {server.url}")
    say(
        f"  organization {world.organizationId}; user id(s) {', '.join(world.users)}; "
        f"{len(world.projects)} project(s), {len(world.nodes)} live node(s); each step takes {world.delay:g}s"
    )
    user, token = next(iter(world.users.items()), ("", ""))
    say("  To use it from another shell (these credentials exist only in this sandbox):")
    say(f"    export QC_API_URL={server.url} QC_USER_ID={user} QC_API_TOKEN={token}")
    say(f"    export QC_ORGANIZATION_ID={world.organizationId}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        with world.lock:
            world.save()
