"""The LEAN version policy at plan time: a pinned versionId must exist, `latest` becomes the newest release.

`versionId: latest` is resolved here to the newest non-master version lean/versions/read lists, and that id
is what the plan compares with the ledger and what apply sends and records: a LEAN upgrade is a visible change
(`versionId changed`) that goes through waves and the promotion gate like any other. A versionId that does not
exist is a `file:line` error before anything is planned. lean/versions/read is called once, and only when a
manifest pins a version or asks for the latest (`project`, the default, needs no call: plan stays at three).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qcdeploy.errors import Problem, ProblemsError
from qcdeploy.model import Desired
from qcdeploy.quantconnect import versions as lean
from qcdeploy.quantconnect.endpoints import Api

PROJECT, LATEST = "project", "latest"


def with_lean_versions(api: Api, desired: Sequence[Desired]) -> list[Desired]:
    """Each manifest with its versionId checked (or `latest` resolved) and its LEAN version's label."""
    if all(d.manifest.spec["versionId"] == PROJECT for d in desired):
        return list(desired)
    known = lean.read(api)
    problems: list[Problem] = []
    resolved = [_resolve(d, known, problems) for d in desired]
    if problems:
        raise ProblemsError(problems)
    return resolved


def _resolve(d: Desired, known: dict[str, lean.LeanVersion], problems: list[Problem]) -> Desired:
    wanted = d.manifest.spec["versionId"]
    if wanted == PROJECT:
        found = known.get(d.project.lean_version)
        return replace(d, lean_label=found.label if found else "")
    if wanted == LATEST:
        newest = lean.newest_release(known)
        if newest is None:
            problems.append(
                Problem("spec.versionId: latest: lean/versions/read lists no release", d.manifest.where("versionId"))
            )
            return d
        spec = {**d.manifest.spec, "versionId": newest.id}
        return replace(d, manifest=replace(d.manifest, spec=spec), lean_label=f"latest: {newest.label}")
    found = known.get(wanted)
    if found is None and wanted != lean.MASTER:
        problems.append(
            Problem(f"spec.versionId: no LEAN version {wanted!r} ({_hint(known)})", d.manifest.where("versionId"))
        )
        return d
    return replace(d, lean_label=found.label if found else "master")


def _hint(known: dict[str, lean.LeanVersion]) -> str:
    newest = lean.newest_release(known)
    return f"the newest release is {newest.label}; or write latest" if newest else "lean/versions/read lists none"
