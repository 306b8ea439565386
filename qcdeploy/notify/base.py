"""What every notification target is given and must do: an Event in, sent or NotifyFailed out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from qcdeploy.errors import QcdeployError
from qcdeploy.redact import scrub

EVENTS = (
    "crashed",
    "healed",
    "heal-failed",
    "gave-up",
    "flat",
    "interrupted",
    "drift",
    "stopped-outside",
    "applied",
    "apply-failed",
    "rolled-back",
)


class NotifyFailed(QcdeployError):
    """A target did not take an event (the run goes on; the failure is reported)."""


@dataclass(frozen=True)
class Event:
    """One thing that happened to one deployment. Carries no secret: names, ids, a reason and the time."""

    event: str
    environment: str
    deployment: str
    project: int | None
    deploy_id: str
    reason: str
    time: str

    @property
    def key(self) -> str:
        """The same happening seen by the next pass has the same key: it is sent once."""
        return "|".join((self.event, self.environment, self.deployment, self.deploy_id))

    def payload(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "environment": self.environment,
            "deployment": self.deployment,
            "project": self.project,
            "deployId": self.deploy_id,
            "reason": scrub(self.reason),  # an error text echoed from the API could hold what was sent
            "time": self.time,
        }

    def line(self) -> str:
        env = f" ({self.environment})" if self.environment else ""
        return scrub(f"qcdeploy{env}: {self.event} {self.deployment}" + (f": {self.reason}" if self.reason else ""))


class Target(Protocol):
    """A place events go. `events` empty: every event."""

    @property
    def events(self) -> frozenset[str]: ...

    @property
    def ident(self) -> str:
        """Stable and secret-free: remembers what this target was sent."""
        ...

    def describe(self) -> str:
        """How the target is named in messages: never its secret, nor a URL that is one."""
        ...

    def send(self, event: Event) -> None: ...


def ident(kind: str, address: str) -> str:
    """A short stable name for a target whose address may itself be a secret (a Slack webhook URL)."""
    return f"{kind}:{hashlib.sha256(address.encode('utf-8')).hexdigest()[:12]}"
