"""Tell the notification targets (`notify:` in .qcdeploy.yaml and the Environment) about events, each once: what
was sent is remembered in the ledger's history. Only a run holding the ledger's lock calls it. A target that fails
is reported and never fails the run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from qcdeploy.cli.workspace import App

if TYPE_CHECKING:
    from qcdeploy.ledger.store import Ledger
    from qcdeploy.notify.base import Event, Target


def targets(app: App) -> list[Target]:
    from qcdeploy.manifests.repofile import repo_settings
    from qcdeploy.planning.notifyconfig import targets_from

    path, raw = repo_settings()
    sources: list[tuple[str, object]] = [(path or ".qcdeploy.yaml", raw.get("notify"))]
    env = app.environment
    if env is not None:
        sources.append((f"{env.doc.file} (environment {env.name})", env.spec.get("notify")))
    return targets_from(sources, app.environ)


def sent_keys(history: Sequence[dict[str, Any]]) -> set[str]:
    """What the targets were already sent, as the ledger's history remembers it."""
    return {str(k) for e in history if e.get("event") == "notified" for k in e.get("keys", [])}


def unsent(events: Sequence[Event], to: Sequence[Target], history: Sequence[dict[str, Any]]) -> bool:
    from qcdeploy.notify.deliver import key

    sent = sent_keys(history)
    return any(key(t, e) not in sent for t in to for e in events if not t.events or e.event in t.events)


def send(events: Sequence[Event], to: Sequence[Target], ledger: Ledger) -> list[str]:
    """Deliver what was not sent before and remember it; one message per target and event that failed."""
    from qcdeploy.notify.deliver import deliver

    if not to or not events:
        return []
    delivery = deliver(events, to, sent_keys(ledger.history))
    if delivery.sent:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        ledger.note({"at": stamp, "event": "notified", "keys": delivery.sent})
    return [f"notification not sent: {f}" for f in delivery.failed]
