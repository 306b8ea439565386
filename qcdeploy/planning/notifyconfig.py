"""`notify:` in .qcdeploy.yaml and in an Environment: the list of targets, each checked and its secrets resolved
from `${env:NAME}` (a signing secret written in clear in the repository is refused)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qcdeploy import redact
from qcdeploy.config import check_url
from qcdeploy.errors import ConfigError
from qcdeploy.manifests.envref import substitute
from qcdeploy.notify.base import EVENTS, Target
from qcdeploy.notify.email import Email
from qcdeploy.notify.slack import Slack
from qcdeploy.notify.webhook import Webhook

KINDS = ("webhook", "slack", "email")
_EMAIL_KEYS = {"to", "smtp", "username", "password", "from"}


def targets_from(sources: Sequence[tuple[str, object]], environ: Mapping[str, str]) -> list[Target]:
    """Every target of every source (where it was written, its `notify:` value), in order."""
    targets: list[Target] = []
    for where, raw in sources:
        if raw is None:
            continue
        if not isinstance(raw, list):
            raise ConfigError(f"{where}: notify must be a list of targets such as - webhook: https://…")
        targets += [_target(f"{where}: notify[{i}]", item, environ) for i, item in enumerate(raw)]
    return targets


def _target(where: str, raw: object, environ: Mapping[str, str]) -> Target:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a target is a mapping such as {{webhook: https://…}}")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise ConfigError(f"{where}: name exactly one of {', '.join(KINDS)}")
    unknown = sorted(set(map(str, raw)) - {kinds[0], "events", "secret"})
    if unknown or (kinds[0] != "webhook" and "secret" in raw):
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown or ['secret'])}")
    events = _events(where, raw.get("events"))
    if kinds[0] == "email":
        return _email(f"{where}.email", raw["email"], events, environ)
    url = _resolved(f"{where}.{kinds[0]}", raw[kinds[0]], environ, secret=kinds[0] == "slack")
    check_url(url, f"{where}.{kinds[0]}")
    if kinds[0] == "slack":
        return Slack(url, events)
    return Webhook(url, _secret(f"{where}.secret", raw.get("secret"), environ), events)


def _email(where: str, raw: object, events: frozenset[str], environ: Mapping[str, str]) -> Email:
    """{to: [addresses], smtp: "host:587", username, password: ${env:…}, from}"""
    if not isinstance(raw, dict) or set(map(str, raw)) - _EMAIL_KEYS:
        raise ConfigError(f"{where} must be a mapping of {', '.join(sorted(_EMAIL_KEYS))}")
    to = raw.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(a, str) and "@" in a for a in to):
        raise ConfigError(f"{where}.to must be a list of email addresses")
    host, _, port = str(raw.get("smtp", "")).rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{where}.smtp must be HOST:PORT such as smtp.example.com:587")
    username = _resolved(f"{where}.username", raw["username"], environ, False) if "username" in raw else ""
    password = _secret(f"{where}.password", raw.get("password"), environ)
    sender = _resolved(f"{where}.from", raw["from"], environ, False) if "from" in raw else ""
    return Email(tuple(to), host, int(port), username, password, sender, events)


def _events(where: str, raw: object) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}.events must be a list of events ({', '.join(EVENTS)})")
    unknown = [str(e) for e in raw if e not in EVENTS]
    if unknown:
        raise ConfigError(f"{where}.events: unknown event(s) {', '.join(unknown)} (known: {', '.join(EVENTS)})")
    return frozenset(map(str, raw))


def _secret(where: str, raw: object, environ: Mapping[str, str]) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or "${env:" not in raw:
        raise ConfigError(f"{where}: write the secret as ${{env:NAME}}, never in the repository")
    return _resolved(where, raw, environ, secret=True)


def _resolved(where: str, raw: Any, environ: Mapping[str, str], secret: bool) -> str:
    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{where}: must be a string")
    result = substitute(raw, environ)
    if result.invalid or result.missing:
        what = ", ".join(result.missing) or ", ".join(result.invalid)
        raise ConfigError(f"{where}: environment variable {what} is not set" if result.missing else f"{where}: {what}")
    if secret or result.sensitive:
        redact.register(result.value)
    return result.value
