"""The README's demo command, as a newcomer runs it: separate sandbox process, console script, real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_script_runs_validate_plan_apply_plan():
    env = {**os.environ, "QCDEPLOY": str(Path(sys.executable).parent / "qcdeploy"), "PYTHON": sys.executable}
    done = subprocess.run(["bash", "examples/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    order = [out.index(s) for s in ("are valid", "Plan: 2 to create", "Apply finished: 2 done", "No changes.")]
    assert order == sorted(order)
    assert "demo-ib-password" not in out + done.stderr
    assert "Traceback" not in out + done.stderr


def test_module_entry_points():
    for module in ("qcdeploy", "qcdeploy.sandbox"):
        done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and "Usage:" in done.stdout, done.stderr
