"""What the benchmarks share: the sandbox's credentials, a fleet of N paper projects and their manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

USER, TOKEN, ORG = "1", "bench-token-0123456789", "bench-org"


def seed(n: int, delay: float) -> dict[str, Any]:
    """N projects Live/S0… and N free nodes node-0…; each compile and start takes `delay` seconds."""
    return {
        "userId": USER,
        "apiToken": TOKEN,
        "organizationId": ORG,
        "delay": delay,
        "projects": [{"projectId": 1000 + i, "name": f"Live/S{i}"} for i in range(n)],
        "nodes": [{"id": f"LN-{i:032x}", "name": f"node-{i}"} for i in range(n)],
    }


def manifest(i: int, project: int | str) -> dict[str, Any]:
    return {
        "apiVersion": "qcdeploy/v1",
        "kind": "LiveDeployment",
        "metadata": {"name": f"s-{i:02d}"},
        "spec": {"project": project, "node": f"node-{i}", "brokerage": {"id": "QuantConnectBrokerage"}},
    }


def credentials(url: str, state: Path) -> dict[str, str]:
    """The environment a qcdeploy run against the sandbox at `url` needs, with its ledger at `state`."""
    return {
        "QC_API_URL": url,
        "QC_USER_ID": USER,
        "QC_API_TOKEN": TOKEN,
        "QC_ORGANIZATION_ID": ORG,
        "QCDEPLOY_STATE": str(state),
    }
