"""Benchmark: plan over 1,000 and 5,000 manifests against an API holding 10,000 live records.

Whole processes, as a user runs them: the sandbox in its own process, `qcdeploy plan` in another. Prints the
wall time (median of 3), peak memory, the API calls (asserted: 3 for an account whose projects fit one
projects/read page, however many manifests; one more per further page) and whether the time grows linearly with
the manifests, each beside its goal.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import ORG, TOKEN, USER, credentials
from bench.process import Sandbox, qcdeploy, sandbox
from bench.report import Row, machine, show
from qcdeploy.quantconnect.endpoints import PROJECTS_PAGE

RECORDS, ACCOUNTS, RUNS = 10_000, 10, 3
PLAN_CALLS = 3  # live/list, projects/read (one page), projects/nodes/read
GOALS = {1000: (0.6, None), 5000: (2.5, 120.0)}  # seconds, MiB


def plan_calls(projects: int) -> int:
    """projects/read pages until a short page: one call below a page, one more for each further page."""
    return PLAN_CALLS + projects // PROJECTS_PAGE


def seed(manifests: int, projects_n: int | None = None) -> dict[str, Any]:
    """As after an apply: the project parameters are the manifests' (apply sets them before deploying)."""
    projects_n = projects_n or max(2 * manifests, 2000)  # half of them with a manifest
    history = max(1, min(5, RECORDS // projects_n))  # months 1-5 of launches
    projects = [
        {"projectId": 1000 + i, "name": f"Live/Strategy{i:05d}", "parameters": {"fast": i % 50, "slow": 100 + i % 7}}
        for i in range(projects_n)
    ]
    nodes = [{"id": f"LN-{i:032x}", "name": f"node-{i}"} for i in range(manifests)]
    deployments = []
    for i in range(projects_n):
        for h in range(history):
            last = h == history - 1
            deployments.append(
                {
                    "projectId": 1000 + i,
                    "deployId": f"L-{i:016x}{h:016x}",
                    "nodeId": f"LN-{i:032x}" if last and i < manifests else "",
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


def write_manifests(tmp: Path, count: int) -> Path:
    """`count` manifests in tmp/manifests, one file each; the folder."""
    directory = tmp / "manifests"
    directory.mkdir()
    for i in range(count):
        (directory / f"strategy-{i:05d}.yaml").write_text(yaml.safe_dump(manifest(i)))
    return directory


def adopt_all(directory: Path, env: dict[str, str]) -> None:
    """Write a ledger that owns every deployment, as after a full apply (one write, not 1,000), with env (the
    sandbox's credentials and state) in force for that one write."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        _adopt(directory)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _adopt(directory: Path) -> None:
    from qcdeploy.cli.workspace import App
    from qcdeploy.config import settings_from
    from qcdeploy.manifests.load import load
    from qcdeploy.manifests.repofile import state_location
    from qcdeploy.model import LedgerEntry
    from qcdeploy.planning.fingerprint import recorded_fields
    from qcdeploy.planning.resolve import resolve
    from qcdeploy.quantconnect.decode import read_state

    app = App(settings_from({}, os.environ, state_location), dict(os.environ))
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


def environment(box: Sandbox, tmp: Path) -> dict[str, str]:
    env = credentials(box.url, tmp / "state.json")
    env.update({f"IB_PASSWORD_{k}": f"bench-secret-{k}" for k in range(ACCOUNTS)})
    return env


def measure(manifests: int) -> dict[str, tuple[float, float]]:
    """{case: (median seconds, peak MiB)} for plans over `manifests` files, unmanaged then all managed."""
    results: dict[str, tuple[float, float]] = {}
    expected = plan_calls(max(2 * manifests, 2000))
    with tempfile.TemporaryDirectory() as tmp_name, sandbox(seed(manifests)) as box:
        tmp = Path(tmp_name)
        directory = write_manifests(tmp, manifests)
        env = environment(box, tmp)
        for case in ("unmanaged", "managed"):
            if case == "managed":
                adopt_all(directory, env)
            runs = []
            for _ in range(RUNS):
                before = sum(box.calls().values())
                run = qcdeploy(["--no-color", "plan", str(directory)], env)
                calls = sum(box.calls().values()) - before  # admin reads are not counted
                assert run.code == 0, run.stderr[-2000:]
                assert run.peak_mib > 0, "no peak memory reported"
                assert calls == expected, f"plan made {calls} API calls, not {expected}"
                runs.append(run)
            results[case] = (statistics.median(r.seconds for r in runs), max(r.peak_mib for r in runs))
            print(
                f"  {manifests} manifests, {case}: {results[case][0]:.2f}s, {results[case][1]:.0f} MiB, "
                f"{expected} API calls; {runs[-1].stdout.strip().splitlines()[-1]}",
                flush=True,
            )
    return results


def calls_within_a_page(manifests: int) -> int:
    """The API calls of one plan over `manifests` files in an account of 2x as many projects (fewer than a page)."""
    with tempfile.TemporaryDirectory() as tmp_name, sandbox(seed(manifests, 2 * manifests)) as box:
        tmp = Path(tmp_name)
        directory = tmp / "manifests"
        directory.mkdir()
        for i in range(manifests):
            (directory / f"strategy-{i:05d}.yaml").write_text(yaml.safe_dump(manifest(i)))
        before = sum(box.calls().values())
        run = qcdeploy(["--no-color", "plan", str(directory)], environment(box, tmp))
        assert run.code == 0, run.stderr[-2000:]
        return sum(box.calls().values()) - before


def rows() -> list[Row]:
    small = {n: calls_within_a_page(n) for n in (10, PROJECTS_PAGE // 2 - 1)}
    measured = {n: measure(n) for n in GOALS}
    out = []
    for n, (goal_s, goal_mib) in GOALS.items():
        (c_s, c_mib), (m_s, m_mib) = measured[n]["unmanaged"], measured[n]["managed"]
        text = f"{c_s:.2f} s / {m_s:.2f} s"
        goal = f"<= {goal_s} s"
        met = max(c_s, m_s) <= goal_s
        if goal_mib is not None:
            text += f", peak {c_mib:.0f} / {m_mib:.0f} MiB"
            goal += f", <= {goal_mib:.0f} MiB"
            met = met and max(c_mib, m_mib) <= goal_mib
        out.append(Row(f"plan, {n:,} manifests (unmanaged / all managed)", text, goal, met))
    ratio = max(measured[5000][c][0] / measured[1000][c][0] for c in ("unmanaged", "managed"))
    out.append(Row("plan time, 5,000 / 1,000 manifests", f"x{ratio:.1f}", "<= x5.0 (linear)", ratio <= 5.0))
    text = ", ".join(f"{n} manifests: {c}" for n, c in small.items())
    same = set(small.values()) == {PLAN_CALLS}
    out.append(Row(f"plan API calls, projects within a page of {PROJECTS_PAGE}", text, f"{PLAN_CALLS} each", same))
    for n in GOALS:
        projects = max(2 * n, 2000)
        out.append(Row(f"plan API calls, {projects:,} projects", str(plan_calls(projects)), "(asserted)", True))
    return out


if __name__ == "__main__":
    print(f"plan on {machine()}; {RECORDS:,} live records; half the manifests with one of {ACCOUNTS} IB secrets")
    sys.exit(0 if show(rows()) else 1)
