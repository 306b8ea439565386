"""The live/create body: built from the desired fields, values as strings (as the lean CLI sends them), checked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from qcdeploy.manifests.brokerages import BROKERAGES, DATA_PROVIDERS, missing_keys, nearest

PROJECT_VERSION = "project"  # versionId default: the project's own LEAN version


def create_body(fields: Mapping[str, Any], compile_id: str, lean_version: str) -> dict[str, Any]:
    """The desired fields as /live/create takes them: the compile built (or pinned) in place of `compile`, and
    the project's own LEAN version where the manifest names none ("-1", master, is discouraged for live)."""
    body = {key: value for key, value in fields.items() if key != "compile"}
    body["compileId"] = compile_id
    if body.get("versionId") == PROJECT_VERSION:
        body["versionId"] = lean_version or "-1"
    body["brokerage"] = _strings(body["brokerage"])
    body["dataProviders"] = {key: _strings(value) for key, value in body["dataProviders"].items()}
    return body


def _strings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Every scalar setting as the lean CLI sends it: `str(value)` (`JsonModule.get_settings`), so a boolean is
    "True"/"False" and a number its digits, though the OpenAPI types `webull-use-2fa` as a boolean and
    `tastytrade-account-number`, `terminal-link-server-port` as integers (docs/quantconnect-api.md: where the
    sources disagree, the lean CLI is what QuantConnect ships and tests). Cash and holdings stay structured."""
    return {key: str(value) if isinstance(value, (bool, int, float)) else value for key, value in settings.items()}


def problems(body: Mapping[str, Any]) -> list[str]:
    """Everything about a body that would make live/create refuse it, found before anything is stopped."""
    found = []
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        found.append(f"the create body is not valid JSON ({exc})")
    brokerage = body.get("brokerage") or {}
    found += _module_problems("brokerage", brokerage, BROKERAGES)
    for key, provider in (body.get("dataProviders") or {}).items():
        found += _module_problems(f"data provider {key}", provider, DATA_PROVIDERS)
    return found


def _module_problems(what: str, settings: Mapping[str, Any], catalogue: Mapping[str, tuple[str, ...]]) -> list[str]:
    module = str(settings.get("id") or "")
    if module not in catalogue:
        guess = nearest(module, catalogue)
        return [f"{what} id {module!r} is not a known module" + (f" (did you mean {guess!r}?)" if guess else "")]
    missing = missing_keys(settings, catalogue)
    return [f"{what} {module} needs {', '.join(missing)}"] if missing else []


def empty_secrets(body: Mapping[str, Any], sensitive: Any) -> list[str]:
    """Secrets that resolved to an empty string: a set-but-empty variable would log in with no password."""
    empty = []
    for path in sensitive:
        value: Any = body
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value == "":
            empty.append(".".join(map(str, path)))
    return empty
