"""The few GitHub REST calls the action makes (issue comments, the merged pull request of a commit, workflow runs),
with the base URL and token injected: tests point it at a stand-in on 127.0.0.1. The token is never printed."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qcdeploy.config import check_url
from qcdeploy.errors import QcdeployError

PER_PAGE = 100


class GitHubError(QcdeployError):
    """A GitHub API call failed."""


@dataclass(frozen=True)
class GitHub:
    api_url: str  # GITHUB_API_URL, e.g. https://api.github.com
    repository: str  # owner/name
    token: str
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GitHub:
        token = environ.get("GITHUB_TOKEN", "")
        if not token or not environ.get("GITHUB_REPOSITORY"):
            raise GitHubError("GITHUB_TOKEN and GITHUB_REPOSITORY must be set (the action passes its github-token)")
        url = environ.get("GITHUB_API_URL", "https://api.github.com")
        check_url(url, "GITHUB_API_URL")  # https, or http to a loopback host only: the token rides along
        return cls(url, environ["GITHUB_REPOSITORY"], token)

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        url = f"{self.api_url.rstrip('/')}/repos/{self.repository}/{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise GitHubError(f"GitHub {method} {path}: HTTP {exc.code} {_message(exc)}") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise GitHubError(f"GitHub {method} {path}: {getattr(exc, 'reason', exc)}") from None
        return json.loads(raw) if raw else None

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "qcdeploy-action",
        }

    def comments(self, issue: int) -> list[dict[str, Any]]:
        """Every comment on an issue or pull request, page by page."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self.call("GET", f"issues/{issue}/comments?per_page={PER_PAGE}&page={page}")
            found.extend(batch or [])
            if len(batch or []) < PER_PAGE:
                return found
            page += 1

    def create_comment(self, issue: int, body: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("POST", f"issues/{issue}/comments", {"body": body})
        return answer

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.call("PATCH", f"issues/comments/{comment_id}", {"body": body})
        return answer

    def merged_pull_request(self, sha: str) -> dict[str, Any] | None:
        """The merged pull request a commit on the default branch came from (None: a direct push)."""
        pulls = self.call("GET", f"commits/{urllib.parse.quote(sha)}/pulls") or []
        return next((p for p in pulls if p.get("merged_at")), None)

    def plan_run(self, workflow: str, head_sha: str) -> int | None:
        """The newest successful pull-request run of the plan workflow for a head commit."""
        query = urllib.parse.urlencode({"event": "pull_request", "head_sha": head_sha, "status": "success"})
        runs = self.call("GET", f"actions/workflows/{urllib.parse.quote(workflow)}/runs?{query}") or {}
        found = runs.get("workflow_runs") or []
        return int(found[0]["id"]) if found else None


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read()).get("message", ""))[:200]
    except (ValueError, AttributeError, OSError):
        return ""
