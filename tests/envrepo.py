"""An environment repository as a team keeps it: one base, paper and live overlays, live protected and promoted
from paper after a day; momentum in both, meanrev in paper only. A git checkout, so saved plans find its root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.helpers import P_PAIRS, P_SPARE, Sandbox

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "environments"
MEANREV = """\
apiVersion: qcdeploy/v1
kind: LiveDeployment
metadata:
  name: meanrev
spec:
  project: Paper/MeanRev
  node: live-node-3
  brokerage: {id: QuantConnectBrokerage}
  parameters: {lookback: 20}
"""


def environment_repo(root: Path, sandbox: Sandbox) -> Path:
    """The checkout at root, its manifests under root/deployments."""
    sandbox.server.world.projects[P_SPARE].name = "Paper/Momentum"
    sandbox.server.world.projects[P_PAIRS].name = "Paper/MeanRev"
    shutil.copytree(EXAMPLE, root / "deployments")
    (root / "deployments" / "base" / "meanrev.yaml").write_text(MEANREV)
    live = root / "deployments" / "live.yaml"
    gate = "spec:\n  only: [momentum]\n  promotion: {from: paper, healthyFor: 24h}\n"
    live.write_text(live.read_text().replace("spec:\n", gate, 1))
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new))
