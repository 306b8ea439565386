"""lean/versions/read: the LEAN versions an account may deploy, shaped as the API reference's LeanVersion.

API reference, Lean Version: the method takes no parameters and answers `{versions: [{id, created, description,
leanHash, leanCloudHash, name, ref, public}]}`. The seed (`leanVersions`) or the admin call `lean-version`
adds versions; master (id -1) is always listed, as the web IDE offers it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from qcdeploy.sandbox.world import World, stamp

Body = dict[str, Any]


def lean_versions_read(world: World, body: Body) -> Body:
    return {"versions": [_version(v) for v in sorted(world.lean_versions, key=lambda v: int(v["id"]))]}


def add_version(world: World, body: Body) -> Body:
    """A new LEAN release appears (the admin call `lean-version {id, name?, created?}`)."""
    version_id = int(body["id"])
    world.lean_versions = [v for v in world.lean_versions if int(v["id"]) != version_id]
    world.lean_versions.append(
        {"id": version_id, "name": str(body.get("name") or f"v2.5.{version_id}"), "created": body.get("created")}
    )
    return {"id": version_id}


def _version(v: dict[str, Any]) -> Body:
    version_id = int(v["id"])
    commit = hashlib.sha1(str(version_id).encode()).hexdigest()
    master = version_id == -1
    return {
        "id": version_id,
        "created": v.get("created") or stamp(1_700_000_000 + max(version_id, 0) * 3600.0, iso=True),
        "description": "master: the latest commit" if master else f"LEAN release {v['name']}",
        "leanHash": commit,
        "leanCloudHash": commit[::-1],
        "name": "master" if master else str(v["name"]),
        "ref": "refs/heads/master" if master else f"refs/tags/{v['name']}",
        "public": True,
    }
