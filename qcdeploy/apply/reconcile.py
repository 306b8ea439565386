"""After an unclear create: is the deployment the API now reports the one qcdeploy sent, or another tool's?

A person in the web UI or the lean CLI may deploy the same project while qcdeploy's create answer is lost (or
its 5xx was never carried out). A deployment is taken as ours only when nothing the API reports of it
contradicts what was sent: its brokerage (live/read's display name), the live node that holds it, its compile
where the answer shows one (the documented live/read does not), and a launch no earlier than the send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from qcdeploy.apply.context import Context
from qcdeploy.apply.outcome import StepFailed
from qcdeploy.errors import ApiError
from qcdeploy.manifests.brokerages import module_id
from qcdeploy.model import LiveDeployment
from qcdeploy.quantconnect import decode as live

# `launched` and the HTTP Date header are whole seconds, stamped by two of the API's servers
LEEWAY = timedelta(seconds=1)


class ForeignDeployment(StepFailed):
    """The project's new deployment is not the one qcdeploy sent: never recorded as ours."""

    def __init__(self, message: str) -> None:
        super().__init__(message, lasting=True)


@dataclass(frozen=True)
class Candidate:
    """What the API reports of the deployment that appeared after the create was sent."""

    deployment: LiveDeployment
    compile_id: str = ""  # "" where the answer does not show it
    node_id: str | None = None  # the live node holding the project; None when not known (ended, unreadable)


def server_time(date_header: str | None) -> datetime | None:
    """The API's clock from an HTTP Date header (None when absent or unreadable): the send time is compared
    with `launched` in the server's own time, so a skewed local clock cannot make a deployment look ours."""
    if not date_header:
        return None
    try:
        return parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None


def differences(sent: Mapping[str, Any], seen: Candidate, sent_at: datetime | None) -> list[str]:
    """Each way the candidate contradicts the create body that was sent (empty: it may be ours)."""
    dep, found = seen.deployment, []
    wanted = str((sent.get("brokerage") or {}).get("id") or "")
    reported = module_id(dep.brokerage)  # None when not reported ("") or not known
    if wanted and reported is not None and reported != wanted:
        found.append(f"brokerage {dep.brokerage}, not {wanted}")
    if seen.node_id is not None and seen.node_id != sent.get("nodeId"):
        found.append(f"on node {seen.node_id}, not {sent.get('nodeId')}")
    if seen.compile_id and seen.compile_id != sent.get("compileId"):
        found.append(f"compile {seen.compile_id}, not {sent.get('compileId')}")
    if sent_at is not None and dep.launched is not None and dep.launched + LEEWAY < sent_at:
        found.append(f"launched {dep.launched:%Y-%m-%d %H:%M:%S}Z, before the create was sent ({sent_at:%H:%M:%S}Z)")
    return found


def foreign(name: str, seen: Candidate, why: list[str]) -> ForeignDeployment:
    """The loud error: what runs, why it is not ours, and the way forward."""
    dep = seen.deployment
    return ForeignDeployment(
        f"ANOTHER TOOL DEPLOYED THIS PROJECT: after an unclear create, project {dep.project_id} runs {dep.deploy_id} "
        f"({dep.status}), which is not what qcdeploy sent ({'; '.join(why)}). It is not recorded as qcdeploy's. "
        f"If it should be managed as it is, run `qcdeploy adopt {name}`; otherwise stop it, then apply again"
    )


def claim(ctx: Context, name: str, body: Mapping[str, Any], found: Candidate, sent_at: datetime | None) -> str:
    """The candidate's deployId if it can be ours; ForeignDeployment, loudly, if it contradicts what was sent."""
    if found.deployment.active:
        found = replace(found, node_id=_holder(ctx, found.deployment.project_id))
    why = differences(body, found, sent_at)
    if why:
        error = foreign(name, found, why)
        ctx.log(name, str(error))
        raise error
    ctx.log(name, f"it was deployed: {found.deployment.deploy_id} ({found.deployment.status})")
    return found.deployment.deploy_id


def look(ctx: Context, pid: int, baseline: str | None) -> tuple[bool, Candidate | None]:
    """(whether the project's state is known, its deployment newer than baseline). A project never deployed is
    known to have none (live/read answers "No live deployment found", qc-api §2); any other failure is not known."""
    try:
        answer = ctx.api.live_read(pid)
        now = live.deployment(answer, pid)
    except ApiError as exc:
        return live.NOT_DEPLOYED in str(exc), None
    if now.deploy_id == baseline:
        return True, None
    return True, Candidate(now, compile_id=str(answer.get("compileId") or ""))


def _holder(ctx: Context, pid: int) -> str | None:
    """The live node running the project, as the node list reports it; None when not known."""
    try:
        nodes = [live.node(row) for row in ctx.api.project_live_nodes(pid)]
    except ApiError:
        return None
    return next((n.id for n in nodes if n.busy and n.project_id == pid), None)
