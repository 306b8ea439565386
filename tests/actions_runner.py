"""Just enough of a GitHub Actions runner to run the example workflows as written: jobs in order with their
`needs` outputs and matrix, `${{ }}` expressions (contexts, ==, !=, &&, ||, fromJSON), `run` steps under
bash -eo pipefail with GITHUB_OUTPUT / GITHUB_STEP_SUMMARY, and this repository's composite action.yml for
`uses: your-org/qcdeploy@…` (its install step skipped: qcdeploy is installed here). What GitHub itself provides is
simulated: checkout and setup-python do nothing, artifacts are kept in a folder by name, the REST API is a stand-in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
_TOKEN = re.compile(r"\s*('(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|,|[A-Za-z_][\w.-]*)")


def evaluate(expr: str, ctx: dict[str, Any]) -> Any:
    """A `${{ }}` expression of the kinds the workflows and action.yml use."""
    python = []
    for token in _TOKEN.findall(expr):
        if token.startswith("'"):
            python.append(repr(token[1:-1].replace("''", "'")))
        elif token in ("&&", "||", "!"):
            python.append({"&&": " and ", "||": " or ", "!": " not "}[token])
        elif token in ("==", "!=", "(", ")", ","):
            python.append(token)
        elif token == "fromJSON":
            python.append("_fromjson")
        elif token in ("true", "false"):
            python.append(str(token == "true"))
        else:
            python.append(repr(_lookup(ctx, token)))
    return eval("".join(python), {"_fromjson": json.loads})  # a test harness reading our own files


def _lookup(ctx: dict[str, Any], name: str) -> Any:
    value: Any = ctx
    for part in name.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return value


def substitute(text: Any, ctx: dict[str, Any]) -> Any:
    if not isinstance(text, str):
        return text
    whole = re.fullmatch(r"\$\{\{(.*?)\}\}", text.strip())
    if whole:
        return evaluate(whole[1], ctx)
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m[1], ctx)), text)


@dataclass
class Runner:
    """One workflow run: the checkout it runs in, its environment, the artifacts it sees, what it produced."""

    repo: Path
    environ: dict[str, str]
    artifacts: Path
    github: dict[str, Any] = field(default_factory=dict)  # the `github` context
    secrets: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    stdout: str = ""
    failed: str = ""  # the first step that failed
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by job, each leg's step outputs

    def run(self, workflow: Path) -> dict[str, list[dict[str, Any]]]:
        """Every job (matrix legs in order); the step outputs of each leg, by job."""
        doc = yaml.safe_load(workflow.read_text())
        env = {k: str(substitute(v, self._ctx())) for k, v in (doc.get("env") or {}).items()}
        needs: dict[str, Any] = {}
        legs_by_job: dict[str, list[dict[str, Any]]] = {}
        for name, job in doc["jobs"].items():
            ctx = self._ctx(needs=needs)
            matrix = substitute((job.get("strategy") or {}).get("matrix", {}).get("environment", [None]), ctx)
            legs_by_job[name] = []
            for leg in matrix:
                outputs = self._job(job, {**env}, {**ctx, "matrix": {"environment": leg}})
                legs_by_job[name].append(outputs)
                if self.failed:
                    return legs_by_job
            ctx = {**self._ctx(needs=needs), "steps": legs_by_job[name][-1]}
            needs[name] = {"outputs": {k: substitute(v, ctx) for k, v in (job.get("outputs") or {}).items()}}
        return legs_by_job

    def _ctx(self, **more: Any) -> dict[str, Any]:
        github = {"token": self.environ.get("GITHUB_TOKEN", ""), "action_path": str(ROOT), **self.github}
        return {
            "github": github,
            "runner": {"temp": str(self.repo.parent / "runner-temp")},
            "secrets": self.secrets,
            **more,
        }

    def _job(self, job: dict[str, Any], env: dict[str, str], ctx: dict[str, Any]) -> dict[str, Any]:
        steps: dict[str, Any] = {}
        for step in job["steps"]:
            self._step(step, env, {**ctx, "steps": steps}, steps)
            if self.failed:
                break
        return steps

    def _step(self, step: dict[str, Any], env: dict[str, str], ctx: dict[str, Any], steps: dict[str, Any]) -> None:
        if "if" in step and not evaluate(step["if"], ctx):
            return
        step_env = {**env, **{k: str(substitute(v, ctx)) for k, v in (step.get("env") or {}).items()}}
        with_ = {k: substitute(v, ctx) for k, v in (step.get("with") or {}).items()}
        uses = step.get("uses", "")
        outputs: dict[str, Any] = {}
        if "run" in step and not step.get("name", "").startswith("Install qcdeploy"):
            outputs = self._shell(step["run"], step_env, step.get("name", "run"))
        elif uses.startswith("your-org/qcdeploy@"):
            outputs = self._action(with_, step_env, ctx)
        elif uses.startswith("actions/upload-artifact@"):
            shutil.copy(self.repo / with_["path"], self._store(with_["name"]))
        elif uses.startswith("actions/download-artifact@"):
            found = self.artifacts / with_["name"]
            if found.is_dir():
                shutil.copytree(found, with_["path"], dirs_exist_ok=True)
            else:
                self.failed = f"download-artifact: no artifact {with_['name']}"
        if "id" in step:
            steps[step["id"]] = {"outputs": outputs}

    def _store(self, name: str) -> Path:
        folder = self.artifacts / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _action(self, with_: dict[str, Any], env: dict[str, str], ctx: dict[str, Any]) -> dict[str, Any]:
        inputs = {k: substitute(v.get("default", ""), ctx) for k, v in ACTION["inputs"].items()}
        inputs.update({k: "" if v is None else str(v) for k, v in with_.items()})
        steps: dict[str, Any] = {}
        inner = {**ctx, "inputs": inputs, "steps": steps}
        for step in ACTION["runs"]["steps"]:
            self._step(step, env, inner, steps)
            if self.failed:
                break
        return {k: substitute(v["value"], inner) for k, v in ACTION["outputs"].items()}

    def _shell(self, script: str, env: dict[str, str], name: str) -> dict[str, str]:
        temp = self.repo.parent / "runner-temp"
        temp.mkdir(exist_ok=True)
        out, summary = temp / "output", temp / "summary"
        out.write_text("")
        summary.write_text("")
        full = {
            **self.environ,
            **env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(out),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(temp),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.repo,
            env=full,
            capture_output=True,
            text=True,
        )
        self.summary += summary.read_text()
        self.stdout += done.stdout + done.stderr
        if done.returncode:
            self.failed = f"{name}: exit {done.returncode}"
        return dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
