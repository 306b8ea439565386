"""Whole-process measurement: the sandbox in its own process, qcdeploy run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# run qcdeploy's own entry point, and report its peak resident memory on the way out (atexit runs on sys.exit):
# VmHWM of this program's own address space; ru_maxrss would also count the forking parent's pages before exec
MEASURED = (
    "import atexit, resource, sys, runpy\n"
    "def peak():\n"
    "    try:\n"
    "        for line in open('/proc/self/status'):\n"
    "            if line.startswith('VmHWM:'): return int(line.split()[1])\n"
    "    except OSError: pass\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "atexit.register(lambda: print('maxrss-kib', peak(), file=sys.stderr))\n"
    "sys.argv[0] = 'qcdeploy'; runpy.run_module('qcdeploy', run_name='__main__')"
)


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[str]

    def admin(self, op: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        root = self.url.split("/api/v2")[0]
        request = urllib.request.Request(
            f"{root}/sandbox/{op}", json.dumps(body or {}).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            result: dict[str, Any] = json.load(answer)
            return result

    def calls(self) -> dict[str, int]:
        return dict(self.admin("state")["calls"])


@contextmanager
def sandbox(seed: Mapping[str, Any], *args: str) -> Iterator[Sandbox]:
    """`qcdeploy sandbox` on a free port, seeded; stopped on the way out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "seed.json")  # JSON is YAML, and parses much faster
        path.write_text(json.dumps(seed))
        process = subprocess.Popen(
            [sys.executable, "-m", "qcdeploy.sandbox", "--port", "0", "--seed", str(path), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        try:
            line = process.stdout.readline()
            found = re.search(r"listening on (\S+)", line)
            if not found:
                raise RuntimeError(f"the sandbox did not start: {line!r}")
            yield Sandbox(found.group(1), process)
        finally:
            process.terminate()
            process.wait(timeout=30)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    code: int
    stdout: str
    stderr: str


def installed_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an installed qcdeploy: bytecode written and reused (an install compiles it), whatever
    PYTHONDONTWRITEBYTECODE the shell running the benchmark has."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def qcdeploy(args: list[str], env: Mapping[str, str], cwd: Path | None = None) -> Run:
    """One `qcdeploy ARGS` process: its wall time, peak memory, exit code and output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        env=installed_environ({**env, "PYTHONPATH": str(ROOT)}),
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    kib = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("maxrss-kib")]
    return Run(seconds, (kib[-1] if kib else 0) / 1024, done.returncode, done.stdout, done.stderr)
