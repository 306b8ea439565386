"""The ledger in a service speaking Terraform's HTTP state backend protocol (GET, POST, LOCK, UNLOCK)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from qcdeploy import redact
from qcdeploy.config import check_url
from qcdeploy.errors import LedgerError, QcdeployError
from qcdeploy.ledger.backends.base import Change, Doc, announce_wait, busy
from qcdeploy.ledger.backends.document import ledger_document

_LOCKED = (409, 423)


class HttpBackend:
    """Credentials, if any, from QCDEPLOY_STATE_USERNAME / QCDEPLOY_STATE_PASSWORD (like TF_HTTP_*), sent only to
    the origin of the trusted state location (the one set by --state, QCDEPLOY_STATE or .qcdeploy.yaml): an
    Environment file's `spec.state` naming another host, in a pull request, gets none."""

    def __init__(
        self, url: str, session: requests.Session | None = None, timeout: float = 30.0, trusted: str | None = None
    ) -> None:
        check_url(url, "the HTTP state URL")  # Basic credentials go with every request: never in clear off-host
        self.url = url
        self.session = session or requests.Session()
        self.timeout = timeout
        self.lock_id: str | None = None
        self.withheld = ""  # the origin the credentials are kept for, when this URL is not on it
        user, password = os.environ.get("QCDEPLOY_STATE_USERNAME"), os.environ.get("QCDEPLOY_STATE_PASSWORD")
        if password:
            redact.register(password)
            if trusted is None or _origin(trusted) == _origin(url):
                self.session.auth = (user or "", password)
            else:
                self.withheld = _origin(trusted)

    def describe(self) -> str:
        return self.url.split("?")[0]

    def read(self) -> Doc | None:
        response = self._request("GET")
        if response.status_code in (204, 404):
            return None  # Terraform's "no state yet"; the ledger decides whether that can be true (lineage.py)
        self._check(response, "read")  # a 500 is an error, with or without a body: never "no ledger"
        if not response.content.strip():
            return None
        return ledger_document(response.content, self.describe())

    def update(self, change: Change, message: str) -> Doc:
        doc = change(self.read())
        params = {"ID": self.lock_id} if self.lock_id else None
        self._check(self._request("POST", data=json.dumps(doc), params=params), "write")
        return doc

    def lock(self, info: Doc, timeout: float, say: Callable[[str], None]) -> None:
        body = {
            "ID": info["id"],
            "Operation": info["operation"],
            "Info": f"qcdeploy pid {info['pid']} on {info['host']}"
            + (f", CI run {info['ci_run']}" if info.get("ci_run") else ""),
            "Who": info["who"],
            "Version": info["version"],
            "Created": info["created"],
            "Path": "",
        }
        deadline = time.monotonic() + timeout
        said: list[bool] = []
        while True:
            response = self._request("LOCK", data=json.dumps(body))
            if response.status_code in (200, 204):
                self.lock_id = info["id"]
                return
            if response.status_code not in _LOCKED:
                self._check(response, "lock")
            if time.monotonic() >= deadline:
                raise busy(self.describe(), _holder(response))
            announce_wait(say, self.describe(), _holder(response), deadline, said)
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def unlock(self, lock_id: str) -> None:
        self._check(self._request("UNLOCK", data=json.dumps({"ID": lock_id})), "unlock")
        self.lock_id = None

    def force_unlock(self, lock_id: str) -> Doc:
        response = self._request("UNLOCK", data=json.dumps({"ID": lock_id}))
        if response.status_code in _LOCKED:
            holder = _holder(response) or {}
            raise QcdeployError(f"the lock at {self.describe()} has id {holder.get('id')}, not {lock_id}")
        self._check(response, "unlock")
        return {"id": lock_id, "operation": "?", "who": "?"}

    def _request(self, method: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, self.url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise LedgerError(f"cannot reach the state service {self.describe()}: {type(exc).__name__}") from None

    def _check(self, response: requests.Response, what: str) -> None:
        if response.status_code not in (200, 201, 204):
            note = (
                f" (QCDEPLOY_STATE_USERNAME/_PASSWORD are sent only to {self.withheld}, where the state location "
                "set by --state, QCDEPLOY_STATE or .qcdeploy.yaml is)"
                if self.withheld and response.status_code in (401, 403)
                else ""
            )
            raise LedgerError(
                f"the state service {self.describe()} refused to {what} the ledger: HTTP {response.status_code}{note}"
            )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _holder(response: requests.Response) -> Doc | None:
    """Terraform's lock info (ID, Who, Operation, Created) in qcdeploy's words."""
    try:
        raw = response.json()
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    return {
        "id": raw.get("ID"),
        "operation": raw.get("Operation"),
        "who": raw.get("Who"),
        "created": raw.get("Created"),
        "pid": "?",
        "info": raw.get("Info"),
    }
