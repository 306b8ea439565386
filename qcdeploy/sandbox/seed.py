"""Seed files: the projects, nodes, credentials and hand-made deployments a sandbox starts with."""

from __future__ import annotations

import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from qcdeploy.errors import ConfigError
from qcdeploy.files import MAX_DIGITS, Unreadable, load_json, read_text
from qcdeploy.sandbox.backtests import set_backtest
from qcdeploy.sandbox.endpoints import kept_settings
from qcdeploy.sandbox.versions import add_version
from qcdeploy.sandbox.world import MAIN_PY, Deployment, NodeRec, Project, World

MAX_SEED_BYTES = 16 * 1024 * 1024  # the benchmarks' 5,000 projects and nodes are well under 1 MiB
DEFAULT_SEED: dict[str, Any] = {
    "userId": "100001",
    "apiToken": "sandbox-api-token-0123456789abcdef",
    "organizationId": "5cad178b20a1d52567b534553413b691",
    "delay": 2,
    "projects": [
        {"projectId": 23456789, "name": "Live/Momentum"},
        {"projectId": 23456790, "name": "Live/MeanReversion"},
    ],
    "nodes": [
        {"id": "LN-0a1b2c3d4e5f60718293a4b5c6d7e8f9", "name": "live-node-1"},
        {"id": "LN-1a1b2c3d4e5f60718293a4b5c6d7e8f9", "name": "live-node-2"},
    ],
}


def load_world(seed: str | None, data_dir: str | None, delay: float | None = None) -> World:
    """The saved state in data_dir if there is one, else the seed (or the built-in default)."""
    saved = Path(data_dir, "state.json") if data_dir else None
    if saved is not None and os.path.lexists(saved):
        world = World.from_json(_read_saved(saved), data_dir)
    else:
        world = world_from_seed(_read_seed(seed) if seed else DEFAULT_SEED, data_dir)
    if delay is not None:
        world.delay = delay
    return world


def _read_saved(path: Path) -> dict[str, Any]:
    try:
        raw = load_json(read_text(path, MAX_SEED_BYTES * 4), path)
    except (OSError, ValueError, Unreadable) as exc:
        raise ConfigError(f"cannot read the sandbox's saved state {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"the sandbox's saved state {path} must be a JSON object")
    return raw


class _SeedLoader(yaml.SafeLoader):
    """Safe YAML, with numbers refused where they stand once past any id or delay a seed holds."""


def _number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    if len(node.value) > MAX_DIGITS:
        raise yaml.MarkedYAMLError(problem=f"a number of {len(node.value)} characters", problem_mark=node.start_mark)
    value = loader.construct_yaml_float(node) if node.tag.endswith("float") else loader.construct_yaml_int(node)
    if not math.isfinite(value):
        raise yaml.MarkedYAMLError(problem=f"{node.value} is not a finite number", problem_mark=node.start_mark)
    return value


_SeedLoader.add_constructor("tag:yaml.org,2002:int", _number)
_SeedLoader.add_constructor("tag:yaml.org,2002:float", _number)


def _read_seed(path: str) -> dict[str, Any]:
    try:  # bounded and regular; a 5,001-digit number, .inf or deep nesting is an error, not a crash
        raw = yaml.load(read_text(path, MAX_SEED_BYTES), Loader=_SeedLoader)  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise ConfigError(f"sandbox seed {where}: {exc.problem or exc.context}") from None
    except (OSError, ValueError, RecursionError, yaml.YAMLError, Unreadable) as exc:
        raise ConfigError(f"cannot read sandbox seed {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"sandbox seed {path} must be a mapping")
    return raw


def world_from_seed(seed: dict[str, Any], data_dir: str | None = None) -> World:
    """Build a World; hand-made deployments in the seed look like ones started in the web UI."""
    now = time.time()
    org = str(seed.get("organizationId", DEFAULT_SEED["organizationId"]))
    try:
        users = {str(u["userId"]): str(u["apiToken"]) for u in seed.get("users", [])}
        if "userId" in seed:
            users[str(seed["userId"])] = str(seed["apiToken"])
        projects = {
            int(p["projectId"]): Project(
                int(p["projectId"]),
                str(p["name"]),
                _time(p.get("modified"), now - 3600),
                now - 86400,
                org,
                str(p.get("buildError", "")),
                str(p.get("deployError", "")),
                parameters={str(k): str(v) for k, v in (p.get("parameters") or {}).items()},
                leanVersionId=int(p.get("leanVersionId", 17000)),
                files={str(k): str(v) for k, v in (p.get("files") or {"main.py": MAIN_PY}).items()},
            )
            for p in seed.get("projects", [])
        }
        nodes = {
            str(n["id"]): NodeRec(str(n["id"]), str(n["name"]), str(n.get("sku", "L-MICRO")))
            for n in seed.get("nodes", [])
        }
        world = World(users, org, projects, nodes, delay=float(seed.get("delay", 2)), data_dir=data_dir)
        world.parameters_as_dict = bool(seed.get("parametersAsDict", False))
        world.parameter_key = str(seed.get("parameterKey", "key"))
        world.auth_failure_status = int(seed.get("authFailureStatus", 200))
        world.projects_cap = int(seed["projectsCap"]) if seed.get("projectsCap") is not None else None
        for v in seed.get("leanVersions") or []:
            add_version(world, dict(v))
        for p in seed.get("projects", []):
            if p.get("backtest"):
                set_backtest(world, {"projectId": p["projectId"], **dict(p["backtest"])})
        for i, d in enumerate(seed.get("deployments", [])):
            world.deployments.append(_deployment(d, i, now))
            wanted = (d.get("settings") or {}).get("parameters")
            if wanted and not projects[int(d["projectId"])].parameters:  # deployed with them: the project has them
                projects[int(d["projectId"])].parameters = {str(k): str(v) for k, v in wanted.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"sandbox seed is malformed: {exc!r}") from None
    return world


def _deployment(d: dict[str, Any], i: int, now: float) -> Deployment:
    status = str(d.get("status", "Running"))
    launched = _time(d.get("launched"), now - 7200 + i * 0.001)
    return Deployment(
        deployId=str(d.get("deployId") or f"L-{i:032x}"),
        projectId=int(d["projectId"]),
        nodeId=str(d.get("nodeId", "")),
        compileId=str(d.get("compileId", "")),
        launched=launched,
        brokerage=str(d.get("brokerage", "QuantConnectBrokerage")),
        settings=kept_settings(dict(d.get("settings") or {})) if d.get("settings") else {},
        status=status,
        stopped=None if status in ("InQueue", "Running", "LoggingIn", "Initializing", "History") else launched + 60,
        error=str(d.get("error", "")),
    )


def _time(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return float(value)
    try:  # the seed's own format (ISO 8601, "Z" or an offset, or naive UTC), not the client's decoding
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"unreadable time {value!r} (ISO 8601 expected)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
