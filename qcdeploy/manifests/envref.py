"""`${env:NAME}` references in manifest strings; `$${` is a literal `${`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_REF = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")  # escape | reference | one never closed
_NAME = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Substitution:
    """The result of expanding one string."""

    value: str
    names: list[str] = field(default_factory=list)  # environment variables it read
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # ${...} forms that are not env refs

    @property
    def sensitive(self) -> bool:
        return bool(self.names)


def has_reference(text: str) -> bool:
    """True if text holds a ${...} reference (not counting the $${ escape)."""
    return any(m.group(0) != "$${" for m in _REF.finditer(text))


def substitute(text: str, environ: Mapping[str, str]) -> Substitution:
    """Expand every reference in text from environ."""
    result = Substitution(text)

    def expand(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match.group(1) is None:  # "${env:X" with no "}": never sent literally as a password
            result.invalid.append(f"{text[match.start() :]!r} (unterminated)")
            return ""
        ref = _NAME.fullmatch(match.group(1))
        if ref is None:
            result.invalid.append(match.group(0))
            return ""
        name = ref.group(1)
        result.names.append(name)
        if name not in environ:
            result.missing.append(name)
            return ""
        return environ[name]

    result.value = _REF.sub(expand, text)
    return result
