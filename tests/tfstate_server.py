"""A small server speaking Terraform's HTTP state backend protocol, for the http backend's tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TfState(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state: bytes | None = None
        self.lock_info: dict[str, Any] | None = None
        self.fail_posts = False
        self.posts_left: int | None = None  # this many more writes succeed, then every one fails
        self.mangle: Callable[[bytes], bytes] | None = None  # a service that stores something else than it got
        self.history: list[bytes] = []  # every state stored, oldest first
        # how the next GETs go wrong, one entry per GET: "ok", "404", "500", "empty" (200, no body), "older" (the
        # state before the last one: a stale replica)
        self.glitches: list[str] = []
        self.gets = 0
        self.authorizations: list[str | None] = []  # the Authorization header of every request
        self.guard = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/state/fleet"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: TfState

    def log_message(self, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.guard:
            self.server.authorizations.append(self.headers.get("Authorization"))
            state, history = self.server.state, self.server.history
            glitch = self.server.glitches.pop(0) if self.server.glitches else "ok"
            self.server.gets += 1
        if glitch in ("404", "500"):
            self._send(int(glitch))
        elif glitch == "empty":
            self._send(200)
        elif glitch == "older":
            self._send(200, history[-2])
        else:
            self._send(200, state) if state is not None else self._send(404)

    def do_POST(self) -> None:
        body = self._body()
        lock_id = self.path.partition("ID=")[2] or None
        with self.server.guard:
            held = self.server.lock_info
            if self.server.posts_left is not None:
                self.server.fail_posts = self.server.posts_left <= 0
                self.server.posts_left -= 1
            if self.server.fail_posts:
                self._send(500)
            elif held is not None and held["ID"] != lock_id:
                self._send(423, json.dumps(held).encode())
            else:
                self.server.state = self.server.mangle(body) if self.server.mangle else body
                self.server.history.append(self.server.state)
                self._send(200)

    def do_LOCK(self) -> None:
        info = json.loads(self._body())
        with self.server.guard:
            if self.server.lock_info is not None:
                self._send(423, json.dumps(self.server.lock_info).encode())
                return
            self.server.lock_info = info
        self._send(200)

    def do_UNLOCK(self) -> None:
        info = json.loads(self._body() or b"{}")
        with self.server.guard:
            held = self.server.lock_info
            if held is not None and info.get("ID") not in (held["ID"], None):
                self._send(423, json.dumps(held).encode())
                return
            self.server.lock_info = None
        self._send(200)
