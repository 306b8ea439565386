"""Test helpers: manifests on disk, a sandbox in a thread, the CLI run in-process."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from qcdeploy.sandbox.seed import world_from_seed
from qcdeploy.sandbox.server import SandboxServer, start
from qcdeploy.sandbox.world import ACTIVE  # all six of the API's active statuses

USER_ID = "100001"
API_TOKEN = "sandbox-api-token-0123456789abcdef"
ORG = "5cad178b20a1d52567b534553413b691"
SECRET = "hunter2-IB-Secret-7f3a9c"  # the known secret every leak test looks for
NODE1 = "LN-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
NODE2 = "LN-1a1b2c3d4e5f60718293a4b5c6d7e8f9"
NODE3 = "LN-2a1b2c3d4e5f60718293a4b5c6d7e8f9"
P_MOMENTUM, P_MEANREV, P_PAIRS, P_SPARE = 23456789, 23456790, 23456791, 23456792

SEED: dict[str, Any] = {
    "userId": USER_ID,
    "apiToken": API_TOKEN,
    "organizationId": ORG,
    "delay": 0.15,
    "projects": [
        {"projectId": P_MOMENTUM, "name": "Live/Momentum"},
        {"projectId": P_MEANREV, "name": "Live/MeanReversion"},
        {"projectId": P_PAIRS, "name": "Live/Pairs"},
        {"projectId": P_SPARE, "name": "Live/Spare"},
    ],
    "nodes": [
        {"id": NODE1, "name": "live-node-1"},
        {"id": NODE2, "name": "live-node-2"},
        {"id": NODE3, "name": "live-node-3"},
    ],
}


@dataclass
class Sandbox:
    """A running sandbox and its admin calls."""

    server: SandboxServer

    @property
    def url(self) -> str:
        return self.server.url

    def admin(self, op: str, **body: Any) -> dict[str, Any]:
        base = self.url.replace("/api/v2/", "/sandbox/")
        req = urllib.request.Request(base + op, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            answer: dict[str, Any] = json.loads(resp.read())
            return answer

    def deployments(self, project_id: int | None = None) -> list[dict[str, Any]]:
        with self.server.world.lock:
            self.server.world.advance()
            deps = self.server.world.to_json()["deployments"]
        return [d for d in deps if project_id is None or d["projectId"] == project_id]

    def active(self, project_id: int) -> list[dict[str, Any]]:
        return [d for d in self.deployments(project_id) if d["status"] in ACTIVE]

    def calls(self) -> dict[str, int]:
        return dict(self.server.calls)


def start_sandbox(seed: dict[str, Any] | None = None, data_dir: str | None = None, log: str | None = None) -> Sandbox:
    return Sandbox(start(world_from_seed(copy.deepcopy(seed or SEED), data_dir), log=log))


def manifest(name: str, project: Any, node: str = "live-node-1", **spec: Any) -> dict[str, Any]:
    """A manifest document; spec keys override the paper-brokerage defaults."""
    body: dict[str, Any] = {"project": project, "node": node, "brokerage": {"id": "QuantConnectBrokerage"}}
    body.update(spec)
    return {"apiVersion": "qcdeploy/v1", "kind": "LiveDeployment", "metadata": {"name": name}, "spec": body}


def ib_brokerage(password: str = "${env:IB_PASSWORD}") -> dict[str, Any]:
    return {
        "id": "InteractiveBrokersBrokerage",
        "ib-user-name": "trader1",
        "ib-account": "DU1234567",
        "ib-password": password,
        "ib-weekly-restart-utc-time": "22:00:00",
    }


def write(directory: Path, filename: str, *docs: dict[str, Any]) -> Path:
    path = directory / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")
    return path


def qcdeploy_process(*args: str, cwd: Path, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    """qcdeploy in a process of its own, as a user runs it (signals reach it as they reach theirs), with this
    test's environment; its output read as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "qcdeploy", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=dict(os.environ),
        cwd=cwd,
    )


def read_until(stream: IO[str] | None, *marks: str) -> str:
    """Lines until one holds any of marks (the process is then in that phase)."""
    assert stream is not None
    seen = ""
    for line in stream:
        seen += line
        if any(m in line for m in marks):
            return seen
    raise AssertionError(f"never saw {marks}:\n{seen}")
