"""A JSON POST of each event; signed with HMAC-SHA256 over the exact body when a secret is set."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from qcdeploy.notify.base import Event, NotifyFailed, ident

SIGNATURE_HEADER = "X-Qcdeploy-Signature-256"  # "sha256=<hex>", as GitHub signs its webhooks
DELIVERY_HEADER = "X-Qcdeploy-Delivery"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str = field(default="", repr=False)
    events: frozenset[str] = frozenset()
    timeout: float = 10.0

    @property
    def ident(self) -> str:
        return ident("webhook", self.url)

    def describe(self) -> str:
        parts = urlsplit(self.url)  # the path may carry a token: the host names it well enough
        return f"webhook {parts.scheme}://{parts.netloc}/…"

    def send(self, event: Event) -> None:
        body = json.dumps(event.payload(), sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "qcdeploy",
            "X-Qcdeploy-Event": event.event,
            # the same for every attempt at one event: a receiver drops a retry whose first answer was lost
            DELIVERY_HEADER: hashlib.sha256(event.key.encode("utf-8")).hexdigest()[:32],
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        post(self.url, body, headers, self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """One POST; any answer but 2xx, or none, is NotifyFailed. Redirects are not followed: a target that moves
    must be reconfigured, not chased to wherever it points."""
    try:
        answer = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise NotifyFailed(type(exc).__name__) from None
    if not 200 <= answer.status_code < 300:
        raise NotifyFailed(f"HTTP {answer.status_code}")
