"""Which recorded spec fields differ between the ledger and a manifest (deepdiff does the walking)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcdeploy.model import FieldChange
from qcdeploy.planning.fingerprint import SENSITIVE_KEY, is_sensitive

_ABSENT = None


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every leaf that changed, with sensitive values flagged; empty when equal."""
    changes = []
    if dict(before) != dict(after):
        changes = _deep(before, after)
    changes += _order_changes(before, after)
    return tuple(sorted(changes, key=lambda c: [str(p) for p in c.path]))


def _deep(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    from deepdiff import DeepDiff  # heavy: only imported when something differs

    diff = DeepDiff(dict(before), dict(after), view="tree")
    changes = []
    for levels in diff.values():
        for level in levels:
            path = tuple(level.path(output_format="list"))
            old, new = _value(level.t1), _value(level.t2)
            sensitive = is_sensitive(old) or is_sensitive(new)
            if path and path[-1] == SENSITIVE_KEY:
                path, sensitive = path[:-1], True
            changes.append(FieldChange(path, old, new, sensitive))
    return changes


def _value(value: Any) -> Any:
    return _ABSENT if type(value).__name__ == "NotPresent" else value


def _order_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """dataProviders key order is precedence; dict equality does not see it."""
    old, new = before.get("dataProviders"), after.get("dataProviders")
    if isinstance(old, dict) and isinstance(new, dict) and old == new and list(old) != list(new):
        return [FieldChange(("dataProviders",), f"order {', '.join(old)}", f"order {', '.join(new)}")]
    return []


def changed_fields(changes: tuple[FieldChange, ...]) -> list[str]:
    """Top-level field names, in order, without repeats."""
    return list(dict.fromkeys(str(c.path[0]) for c in changes if c.path))
