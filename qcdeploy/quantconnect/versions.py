"""LEAN versions as lean/versions/read lists them: which ids exist, their names and dates, the newest release."""

from __future__ import annotations

from dataclasses import dataclass

from qcdeploy.quantconnect.endpoints import Api
from qcdeploy.quantconnect.transport import Json

MASTER = "-1"  # versionId -1 deploys master, which QuantConnect warns "can create problems with live deployments"


@dataclass(frozen=True)
class LeanVersion:
    id: str
    name: str
    created: str  # ISO 8601 as the API writes it
    master: bool

    @property
    def label(self) -> str:
        """`17100 (v2.5.17100, 2026-10-01)`: the number, then what a person recognises."""
        return f"{self.id} ({', '.join(part for part in (self.name, self.created[:10]) if part) or 'no name'})"


def read(api: Api) -> dict[str, LeanVersion]:
    """Every LEAN version the account may deploy, by id."""
    versions = (_version(row) for row in api.lean_versions())
    return {v.id: v for v in versions if v.id}


def newest_release(versions: dict[str, LeanVersion]) -> LeanVersion | None:
    """The newest version not built from master (by id: ids grow with each release)."""
    releases = [v for v in versions.values() if not v.master and v.id.isdigit()]
    return max(releases, key=lambda v: int(v.id), default=None)


def _version(row: Json) -> LeanVersion:
    name, ref = str(row.get("name") or ""), str(row.get("ref") or "")
    master = str(row.get("id")) == MASTER or "master" in (name.lower(), ref.lower().rsplit("/", 1)[-1])
    return LeanVersion(
        str(row.get("id") if row.get("id") is not None else ""), name, str(row.get("created") or ""), master
    )
