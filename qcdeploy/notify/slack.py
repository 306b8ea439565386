"""A Slack incoming webhook: one line of text per event. Its URL is a credential and is never shown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from qcdeploy.notify.base import Event, ident
from qcdeploy.notify.webhook import post


@dataclass(frozen=True)
class Slack:
    url: str = field(repr=False)
    events: frozenset[str] = frozenset()
    timeout: float = 10.0

    @property
    def ident(self) -> str:
        return ident("slack", self.url)

    def describe(self) -> str:
        return f"slack ({self.ident})"

    def send(self, event: Event) -> None:
        body = json.dumps({"text": event.line()}).encode("utf-8")
        post(self.url, body, {"Content-Type": "application/json"}, self.timeout)
