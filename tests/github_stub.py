"""A small stand-in for the parts of GitHub's REST API the action calls: issue comments (list with paging, create,
update), the pull requests of a commit, a workflow's runs. Real HTTP on 127.0.0.1, with a bearer token."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_stand-in-token-5d0e1f"


class GitHubStub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repository: str = "acme/fleet") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.repository = repository
        self.comments: dict[int, list[dict[str, Any]]] = {}  # issue -> its comments, oldest first
        self.pulls: dict[str, list[dict[str, Any]]] = {}  # commit sha -> pull requests
        self.runs: dict[str, list[dict[str, Any]]] = {}  # workflow file -> runs
        self.calls: list[tuple[str, str]] = []
        self.next_id = 1000
        self.guard = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def add_comment(self, issue: int, body: str, user: str = "someone") -> dict[str, Any]:
        with self.guard:
            self.next_id += 1
            comment = {"id": self.next_id, "body": body, "user": {"login": user}}
            self.comments.setdefault(issue, []).append(comment)
            return comment


class _Handler(BaseHTTPRequestHandler):
    server: GitHubStub

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, value: Any = None) -> None:
        body = json.dumps(value).encode() if value is not None else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.server.calls.append((method, parts.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "Bad credentials"})
        prefix = f"/repos/{self.server.repository}/"
        if not parts.path.startswith(prefix):
            return self._send(404, {"message": "Not Found"})
        rest, query = parts.path[len(prefix) :], parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else {}
        for pattern, handler in _ROUTES.get(method, []):
            found = re.fullmatch(pattern, rest)
            if found:
                status, value = handler(self.server, query, body, *found.groups())
                return self._send(status, value)
        return self._send(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")


def _list(server: GitHubStub, query: dict[str, list[str]], body: Any, issue: str) -> tuple[int, Any]:
    per_page = min(int(query.get("per_page", ["30"])[0]), 100)
    page = int(query.get("page", ["1"])[0])
    with server.guard:
        comments = list(server.comments.get(int(issue), []))
    return 200, comments[(page - 1) * per_page : page * per_page]


def _create(server: GitHubStub, query: Any, body: dict[str, Any], issue: str) -> tuple[int, Any]:
    return 201, server.add_comment(int(issue), body["body"], user="github-actions[bot]")


def _update(server: GitHubStub, query: Any, body: dict[str, Any], comment_id: str) -> tuple[int, Any]:
    with server.guard:
        for comments in server.comments.values():
            for comment in comments:
                if comment["id"] == int(comment_id):
                    comment["body"] = body["body"]
                    return 200, comment
    return 404, {"message": "Not Found"}


def _pulls(server: GitHubStub, query: Any, body: Any, sha: str) -> tuple[int, Any]:
    return 200, server.pulls.get(sha, [])


def _runs(server: GitHubStub, query: dict[str, list[str]], body: Any, workflow: str) -> tuple[int, Any]:
    wanted = {k: v[0] for k, v in query.items() if k in ("event", "head_sha", "status")}
    runs = [r for r in server.runs.get(workflow, []) if all(r.get(k) == v for k, v in wanted.items())]
    return 200, {"total_count": len(runs), "workflow_runs": runs}


_ROUTES: dict[str, list[tuple[str, Any]]] = {
    "GET": [
        (r"issues/(\d+)/comments", _list),
        (r"commits/([0-9a-f]+)/pulls", _pulls),
        (r"actions/workflows/([\w.-]+)/runs", _runs),
    ],
    "POST": [(r"issues/(\d+)/comments", _create)],
    "PATCH": [(r"issues/comments/(\d+)", _update)],
}
