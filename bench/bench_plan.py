"""Benchmark: plan over 1,000 manifests against an API holding 10,000 live records.

Prints wall time, API calls (must be 3), time spent waiting on HTTP, and the local part.
The sandbox runs in this process on loopback, so "HTTP" includes its own JSON work.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qcdeploy import client as client_mod
from qcdeploy.cli import main
from qcdeploy.fingerprint import secret_hash
from qcdeploy.sandbox.seed import world_from_seed
from qcdeploy.sandbox.server import start

MANIFESTS, PROJECTS, HISTORY, ACCOUNTS = 1000, 2000, 5, 10
USER, TOKEN, ORG = "1", "bench-token-0123456789", "bench-org"


def seed() -> dict[str, Any]:
    # as after an apply: the project parameters are the manifests' (apply sets them before deploying)
    projects = [
        {"projectId": 1000 + i, "name": f"Live/Strategy{i:05d}", "parameters": {"fast": i % 50, "slow": 100 + i % 7}}
        for i in range(PROJECTS)
    ]
    nodes = [{"id": f"LN-{i:032x}", "name": f"node-{i}"} for i in range(MANIFESTS)]
    deployments = []
    for i in range(PROJECTS):
        for h in range(HISTORY):
            last = h == HISTORY - 1
            deployments.append(
                {
                    "projectId": 1000 + i,
                    "deployId": f"L-{i:016x}{h:016x}",
                    "nodeId": f"LN-{i:032x}" if last and i < MANIFESTS else "",
                    "status": "Running" if last else "Stopped",
                    "launched": f"2026-0{1 + h}-01 10:00:00",
                }
            )
    return {
        "userId": USER,
        "apiToken": TOKEN,
        "organizationId": ORG,
        "delay": 0.1,
        "projects": projects,
        "nodes": nodes,
        "deployments": deployments,
    }


def manifest(i: int) -> dict[str, Any]:
    brokerage = (
        {"id": "QuantConnectBrokerage"}
        if i % 2
        else {
            "id": "InteractiveBrokersBrokerage",
            "ib-user-name": f"trader{i % ACCOUNTS}",
            "ib-account": f"DU{i % ACCOUNTS}",
            "ib-password": f"${{env:IB_PASSWORD_{i % ACCOUNTS}}}",
            "ib-weekly-restart-utc-time": "22:00:00",
        }
    )
    return {
        "apiVersion": "qcdeploy/v1",
        "kind": "LiveDeployment",
        "metadata": {"name": f"strategy-{i:05d}"},
        "spec": {
            "project": f"Live/Strategy{i:05d}",
            "node": f"node-{i}",
            "brokerage": brokerage,
            "parameters": {"fast": i % 50, "slow": 100 + i % 7},
            "onStop": "liquidate" if i % 3 else "stop",
        },
    }


def run(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def adopt_all(directory: Path) -> None:
    """Write a ledger that owns every deployment, as after a full apply (one write, not 1,000)."""
    from qcdeploy.app import App
    from qcdeploy.config import settings_from
    from qcdeploy.fingerprint import recorded_fields
    from qcdeploy.live import read_state, resolve
    from qcdeploy.manifest import load
    from qcdeploy.model import LedgerEntry

    app = App(settings_from({}, os.environ), dict(os.environ))
    manifests = load([str(directory)], os.environ).manifests
    state = read_state(app.api(), ORG)
    ledger = app.ledger()
    entries = []
    for d in resolve(manifests, state):
        dep = state.deployments[d.project.project_id]
        spec = recorded_fields(d, ledger.salt)
        on_stop = d.manifest.spec["onStop"]
        entries.append(
            LedgerEntry(d.name, d.project.project_id, dep.deploy_id, spec, None, d.project.modified, "", on_stop)
        )
    ledger.put_all(entries)


class HttpTimer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = client_mod.Client._call

    def __enter__(self) -> HttpTimer:
        timer = self

        def timed(self_: Any, *args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return timer.original(self_, *args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - t

        client_mod.Client._call = timed  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        client_mod.Client._call = self.original  # type: ignore[method-assign]


def main_bench() -> None:
    server = start(world_from_seed(seed()))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp, "manifests")
        directory.mkdir()
        for i in range(MANIFESTS):
            (directory / f"strategy-{i:05d}.yaml").write_text(yaml.safe_dump(manifest(i)))
        os.environ.update(
            {
                "QC_API_URL": server.url,
                "QC_USER_ID": USER,
                "QC_API_TOKEN": TOKEN,
                "QC_ORGANIZATION_ID": ORG,
                "QCDEPLOY_STATE": str(Path(tmp, "state.json")),
            }
        )
        os.environ.update({f"IB_PASSWORD_{k}": f"bench-secret-{k}" for k in range(ACCOUNTS)})
        rows = len(json.loads(json.dumps(server.world.to_json()["deployments"])))
        print(
            f"API holds {rows} live records over {PROJECTS} projects; {MANIFESTS} manifests "
            f"({MANIFESTS // 2} with one of {ACCOUNTS} IB secrets)"
        )
        for label, prepare in (("unmanaged (empty ledger)", None), ("all managed, no changes", adopt_all)):
            if prepare:
                prepare(directory)
            walls, https = [], []
            for _ in range(3):
                secret_hash.cache_clear()  # as in a fresh process: each distinct secret is hashed once
                calls_before = sum(server.calls.values())
                with HttpTimer() as timer:
                    t = time.perf_counter()
                    code, out = run(["--no-color", "plan", str(directory)])
                    walls.append(time.perf_counter() - t)
                https.append(timer.seconds)
                calls = sum(server.calls.values()) - calls_before
                assert code == 0, out[-2000:]
            wall, http = statistics.median(walls), statistics.median(https)
            print(
                f"plan, {label}: wall {wall:.3f}s (median of 3), API calls {calls}, "
                f"HTTP+sandbox {http:.3f}s, local {wall - http:.3f}s; target < 1.5s local: "
                f"{'OK' if wall - http < 1.5 else 'MISSED'}; last line: {out.strip().splitlines()[-1]}"
            )
    server.shutdown()


if __name__ == "__main__":
    main_bench()
