"""Send events to targets: each (target, event) once, retried with backoff, and a failure only reported."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from qcdeploy.notify.base import Event, NotifyFailed, Target

ATTEMPTS = 3
BACKOFF = 1.0  # seconds before the second attempt; doubled before each next one


@dataclass
class Delivery:
    sent: list[str] = field(default_factory=list)  # keys now delivered: remember them with the ledger
    failed: list[str] = field(default_factory=list)  # one message per target and event that did not go


def key(target: Target, event: Event) -> str:
    return f"{target.ident}|{event.key}"


def deliver(
    events: Sequence[Event],
    targets: Sequence[Target],
    already: Collection[str],
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Each event to each target that wants it and was not sent it before."""
    done = Delivery()
    for target in targets:
        for event in events:
            k = key(target, event)
            if k in already or k in done.sent or (target.events and event.event not in target.events):
                continue
            problem = _attempt(target, event, sleep)
            if problem:
                done.failed.append(f"{target.describe()}: {event.event} {event.deployment}: {problem}")
            else:
                done.sent.append(k)
    return done


def _attempt(target: Target, event: Event, sleep: Callable[[float], None]) -> str:
    """ "" once sent, else why the last attempt failed."""
    problem = ""
    for n in range(ATTEMPTS):
        if n:
            sleep(BACKOFF * 2 ** (n - 1))
        try:
            target.send(event)
            return ""
        except NotifyFailed as exc:
            problem = str(exc)
    return problem
