"""Shared helpers for renderers: paths, masked values, flattened specs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from qcdeploy.model import dotted
from qcdeploy.planning.fingerprint import is_sensitive
from qcdeploy.redact import SENSITIVE


def show(value: Any, sensitive: bool = False) -> str:
    """One value as printed in a plan; sensitive ones never show."""
    if sensitive or is_sensitive(value):
        return SENSITIVE
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Flatten nested dicts into (dotted path, leaf) pairs; lists of scalars stay whole."""
    if isinstance(value, dict) and value and not is_sensitive(value):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, item in enumerate(value):
            yield from leaves(item, (*path, i))
    else:
        yield dotted(path), value
