"""The exceptions a user can cause; cli.py turns each into one message and exit code 1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a manifest file (1-based line and column)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    message: str
    location: Location | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class QcdeployError(Exception):
    """Base of every expected failure."""

    def lines(self) -> list[str]:
        return [f"Error: {self}"]


class ProblemsError(QcdeployError):
    """Several problems found at once (manifests, resolution against live state)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = tuple(problems)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + [f"{len(self.problems)} problem(s) found."]


class ConfigError(QcdeployError):
    """Missing or invalid settings: credentials, URL, options."""


class ApiError(QcdeployError):
    """The QuantConnect API answered with an error or not at all."""


class AuthError(ApiError):
    """The API refused the credentials."""


class ApiUnreachable(ApiError):
    """No answer: connection refused, DNS failure or timeout."""


class LedgerError(QcdeployError):
    """The ledger cannot be read or written."""


class PlanRefused(QcdeployError):
    """A safety rule refused the plan (protected deployments, blocked changes)."""
