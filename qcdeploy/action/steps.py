"""The action's steps: list the environments, plan one (comment, summary, annotations, outputs), find the reviewed
plan of a merged pull request, apply it. Each returns the step's exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from qcdeploy.action import comments
from qcdeploy.action.github import GitHub, GitHubError
from qcdeploy.action.workflow import annotate, set_output, summary

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
QCDEPLOY = [sys.executable, "-m", "qcdeploy", "--no-color"]


def artifact_name(environment: str, pull_request: int | str) -> str:
    """One artifact per environment and pull request, so environments never overwrite each other's plan."""
    return f"qcdeploy-plan-{environment or 'default'}-pr{pull_request}"


def plan_filename(environment: str) -> str:
    """The saved plan's file name (the artifact keeps it): one per environment, so two never collide."""
    return f"qcdeploy-plan-{environment or 'default'}.json"


def title(what: str, environment: str) -> str:
    return f"qcdeploy {what} ({environment})" if environment else f"qcdeploy {what}"


def plan(
    environ: Mapping[str, str],
    environment: str,
    paths: Sequence[str],
    out: str,
    allow_protected: bool = False,
    run: Runner = subprocess.run,
) -> int:
    """Plan one environment; exit 1 only when the plan itself failed."""
    command = [*QCDEPLOY, "plan", "--format", "markdown", "--detailed-exitcode", f"--out={out}"]
    command += [f"--env={environment}"] if environment else []
    command += ["--allow-protected"] if allow_protected else []
    done = run([*command, "--", *paths], capture_output=True, text=True, env=dict(environ))
    sys.stderr.write(done.stderr)
    if done.returncode not in (0, 2):
        return _plan_failed(environ, environment, done.stderr)
    markdown, changes = done.stdout, done.returncode == 2
    artifact = artifact_name(environment, pull_request_number(environ) or environ.get("GITHUB_RUN_ID", "local"))
    set_output(
        environ, exitcode=str(done.returncode), has_changes=str(changes).lower(), plan_path=out, artifact=artifact
    )
    summary(environ, markdown + _full_plan(environ, out, run))
    first = next((line.strip("* ") for line in markdown.splitlines()[2:] if line.strip()), "")
    annotate("notice", title("plan", environment), first)
    for line in markdown.splitlines():
        if line.startswith("> apply would be refused now"):
            annotate("warning", title("plan", environment), line[2:])
    _comment(environ, environment, markdown, changes)
    return 0


def _full_plan(environ: Mapping[str, str], out: str, run: Runner) -> str:
    """The whole plan, uncut, for the job summary: where a comment cut to GitHub's limit points."""
    shown = run([*QCDEPLOY, "show", "--", out], capture_output=True, text=True, env=dict(environ))
    if shown.returncode != 0:
        return ""
    return f"\n<details><summary>Full plan</summary>\n\n```\n{shown.stdout}```\n</details>\n"


def _plan_failed(environ: Mapping[str, str], environment: str, stderr: str) -> int:
    message = stderr.strip() or "qcdeploy plan failed"
    set_output(environ, exitcode="1", has_changes="false", plan_path="")
    annotate("error", title("plan", environment), message)
    body = f"{_marker(environment)}\n## {title('plan', environment)} failed\n\n```\n{message}\n```\n"
    summary(environ, body)
    _comment(environ, environment, body, True)
    return 1


def _marker(environment: str) -> str:
    from qcdeploy.render.markdown import marker

    return marker(environment or None)


def _comment(environ: Mapping[str, str], environment: str, body: str, changes: bool) -> None:
    number = pull_request_number(environ)
    if number is None:
        return
    try:
        done = comments.upsert(GitHub.from_env(environ), number, _marker(environment), body, changes)
    except GitHubError as exc:  # a fork's read-only token, say: the plan itself stands, in the job summary
        annotate("warning", title("plan", environment), f"could not post the plan comment: {exc}")
        done = "failed"
    set_output(environ, comment=done)


def pull_request_number(environ: Mapping[str, str]) -> int | None:
    """The pull request this run is for (from the event payload), None outside pull requests."""
    path = environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return None
    event: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    number = (event.get("pull_request") or {}).get("number")
    return int(number) if number is not None else None


def find(environ: Mapping[str, str], environment: str, workflow: str) -> int:
    """The reviewed plan for this commit: the merged pull request's successful plan run and this environment's
    artifact in it. A push that came from no pull request has no reviewed plan (found=false)."""
    github = GitHub.from_env(environ)
    pr = github.merged_pull_request(environ.get("GITHUB_SHA", ""))
    if pr is None:
        set_output(environ, found="false")
        annotate("notice", title("apply", environment), "no merged pull request for this commit: nothing reviewed")
        return 0
    run_id = github.plan_run(workflow, str(pr["head"]["sha"]))
    if run_id is None:
        annotate("error", title("apply", environment), f"no successful plan run for the head of #{pr['number']}")
        return 1
    set_output(environ, found="true", run_id=str(run_id), artifact=artifact_name(environment, pr["number"]))
    return 0


def apply(environ: Mapping[str, str], environment: str, plan_file: str, run: Runner = subprocess.run) -> int:
    """Carry out exactly the reviewed plan. Held by the promotion gate is a wait (status=waiting, exit 0), not an
    error; a stale plan changes nothing and fails the step, except on a schedule, which retries the plans that
    waited: there, one that went stale or was carried out already is a warning."""
    if not Path(plan_file).is_file():
        set_output(environ, status="none")
        annotate("notice", title("apply", environment), f"no reviewed plan ({plan_file}): nothing to apply")
        return 0
    command = [*QCDEPLOY, "apply", f"--plan={plan_file}", "--lock-timeout=600"]
    done = run(command, stdout=None, stderr=subprocess.PIPE, text=True, env=dict(environ))
    sys.stderr.write(done.stderr)
    status, level, words = _verdict(done.returncode, done.stderr)
    retry = environ.get("GITHUB_EVENT_NAME") == "schedule" and status == "stale"
    set_output(environ, status=status, exitcode=str(done.returncode))
    summary(environ, f"### {title('apply', environment)}: {status}\n\n{words}\n")
    if level:
        annotate("warning" if retry else level, title("apply", environment), words)
    return 1 if status == "failed" or (status == "stale" and not retry) else 0


def _verdict(code: int, stderr: str) -> tuple[str, str, str]:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    if code == 0:
        return "applied", "", "Carried out the plan reviewed on the pull request."
    if "waiting for promotion" in stderr:
        return "waiting", "warning", last
    if "plan is stale" in stderr:
        return "stale", "error", last + " Re-plan on a pull request."
    return "failed", "error", last or f"qcdeploy apply exited {code}"


def environments(environ: Mapping[str, str], paths: Sequence[str], run: Runner = subprocess.run) -> int:
    """Validate every environment once (annotations on the pull request's diff), then list them for a matrix, a
    promotion's source before its target; [""] without environments."""
    from qcdeploy.manifests.load import environments_under

    checked = run([*QCDEPLOY, "validate", "--format=github", "--", *paths], text=True, env=dict(environ))
    if checked.returncode != 0:
        return 1

    _, every, problems = environments_under(list(paths), environ, "")
    broken = [str(p) for p in problems if not str(p).startswith("no Environment named ''")]
    if broken:  # a broken Environment document left out of the matrix would go unplanned, silently
        for problem in broken:
            annotate("error", "qcdeploy environments", problem)
        return 1
    depth = {name: _depth(name, every) for name in every}
    names = sorted(every, key=lambda n: (depth[n], n)) or [""]
    set_output(environ, environments=json.dumps(names))
    sys.stdout.write(f"environments: {', '.join(names) if every else '(none)'}\n")
    return 0


def _depth(name: str, every: Mapping[str, Any]) -> int:
    seen = 0
    while seen <= len(every):
        gate = every[name].spec.get("promotion") if name in every else None
        source = gate.get("from") if isinstance(gate, dict) else None
        if not isinstance(source, str) or source not in every:
            return seen
        name, seen = source, seen + 1
    return seen
