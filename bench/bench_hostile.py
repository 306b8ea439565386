"""Benchmark: hostile input files are refused quickly and in little memory (the goal: exit 1 within 1 s and
100 MiB each). The tests check what each case says (tests/integration/test_hostile_files.py); this measures
how long and how much, each as a whole `qcdeploy` process: a manifest, a ledger or a seed linked to /dev/zero
or /dev/urandom, a FIFO, 120,000 keys, .qcdeploy.yaml nested 50,000 deep, a 5,001-digit project id, a ledger
serial 1e999.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.process import Run, qcdeploy
from bench.report import Row, show

MANIFEST = (
    "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: m}\n"
    "spec:\n  project: 1\n  node: n\n  brokerage: {id: QuantConnectBrokerage}\n"
)
SECONDS, MIB = 1.0, 100.0


def _cases(root: Path) -> dict[str, Callable[[], Run]]:
    (root / "zero.yaml").symlink_to("/dev/zero")
    (root / "random.yaml").symlink_to("/dev/urandom")
    os.mkfifo(root / "fifo.yaml")
    (root / "huge.yaml").write_text(MANIFEST.replace("project: 1", "project: " + "9" * 5001))
    keys = ", ".join(f"k{i}: 1" for i in range(120_000))
    (root / "keys.yaml").write_text(MANIFEST + "  parameters: {" + keys + "}\n")
    (root / "serial.json").write_text('{"version": 1, "serial": 1e999, "salt": "00ff", "deployments": {}}')
    deep = root / "deep"
    (deep / ".git").mkdir(parents=True)
    (deep / ".qcdeploy.yaml").write_text("state: " + "[" * 50_000 + "]" * 50_000 + "\n")
    env = {"QCDEPLOY_STATE": str(root / "zero.yaml")}
    return {
        "manifest -> /dev/zero": lambda: qcdeploy(["validate", str(root / "zero.yaml")], {}),
        "manifest -> /dev/urandom": lambda: qcdeploy(["validate", str(root / "random.yaml")], {}),
        "manifest is a FIFO": lambda: qcdeploy(["validate", str(root / "fifo.yaml")], {}),
        "120,000 keys in one manifest": lambda: qcdeploy(["validate", str(root / "keys.yaml")], {}),
        "project id of 5,001 digits": lambda: qcdeploy(["validate", str(root / "huge.yaml")], {}),
        "ledger -> /dev/zero": lambda: qcdeploy(["state", "show"], env),
        "ledger serial 1e999": lambda: qcdeploy(["state", "show"], {"QCDEPLOY_STATE": str(root / "serial.json")}),
        ".qcdeploy.yaml 50,000 deep": lambda: qcdeploy(["state", "show"], {}, cwd=deep),
        "sandbox seed -> /dev/zero": lambda: qcdeploy(
            ["sandbox", "--port", "0", "--seed", str(root / "zero.yaml")], {}
        ),
    }


def rows() -> list[Row]:
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, case in _cases(Path(tmp)).items():
            run = runs[label] = case()
            print(f"  {label}: exit {run.code}, {run.seconds:.2f} s, {run.peak_mib:.0f} MiB", flush=True)
    slowest = max(r.seconds for r in runs.values())
    largest = max(r.peak_mib for r in runs.values())
    refused = all(r.code == 1 for r in runs.values())
    return [
        Row(
            f"hostile input files ({len(runs)} cases), each refused with exit 1",
            f"{'all exit 1' if refused else 'NOT all exit 1'}, slowest {slowest:.2f} s, peak {largest:.0f} MiB",
            f"exit 1, <= {SECONDS:.0f} s, <= {MIB:.0f} MiB",
            refused and slowest <= SECONDS and largest <= MIB,
        )
    ]


if __name__ == "__main__":
    sys.exit(0 if show(rows()) else 1)
