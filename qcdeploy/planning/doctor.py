"""`qcdeploy doctor`: a read-only check of an account against the manifests, for a new user's first contact."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from qcdeploy.errors import ApiError, AuthError, ConfigError, ProblemsError
from qcdeploy.manifests.brokerages import BROKERAGES, OAUTH_BROKERAGES
from qcdeploy.manifests.envref import substitute
from qcdeploy.manifests.load import Manifest
from qcdeploy.model import LiveState
from qcdeploy.planning.planner import parameter_changes
from qcdeploy.planning.resolve import resolve
from qcdeploy.quantconnect.decode import read_state
from qcdeploy.quantconnect.endpoints import Api

SKEW_WARN, SKEW_FAIL = 60.0, 3600.0  # the hash's timestamp is refused when older than 7200 s (qc-api §1)


@dataclass(frozen=True)
class Check:
    """One line of the report; `ok` False fails doctor, `warning` only draws the eye."""

    subject: str
    ok: bool
    detail: str
    warning: bool = False

    @property
    def verdict(self) -> str:
        return "FAIL" if not self.ok else "warn" if self.warning else "ok"


def run(
    api: Api,
    organization_id: str,
    manifests: Sequence[Manifest],
    environ: Mapping[str, str],
    clock: Callable[[], float] = time.time,
) -> list[Check]:
    """Every check that can be made without changing anything; stops early only when the API refuses us."""
    started = time.monotonic()
    try:
        api.authenticate()
    except AuthError as exc:
        return [Check("credentials", False, str(exc))]
    except ApiError as exc:
        return [Check("api", False, str(exc))]
    checks = [
        Check("credentials", True, "accepted"),
        Check("api round trip", True, f"{(time.monotonic() - started) * 1000:.0f} ms to authenticate"),
        _clock(api.client.server_date, clock()),
    ]
    try:
        state = read_state(api, organization_id)
    except (ApiError, ConfigError) as exc:
        return [*checks, Check("live state", False, str(exc))]
    checks.append(_organization(organization_id, state))
    checks += [_manifest(m, state, environ) for m in manifests]
    checks.append(_free_nodes(state))
    return checks


def _clock(server_date: str | None, now: float) -> Check:
    if not server_date:
        return Check("clock", True, "the API sent no Date header; cannot measure the skew", warning=True)
    try:
        skew = now - parsedate_to_datetime(server_date).timestamp()
    except (TypeError, ValueError):
        return Check("clock", True, f"unreadable Date header {server_date!r}", warning=True)
    detail = f"{skew:+.0f} s against the API's clock (auth hashes carry a timestamp)"
    return Check("clock", abs(skew) < SKEW_FAIL, detail, warning=abs(skew) >= SKEW_WARN)


def _organization(organization_id: str, state: LiveState) -> Check:
    orgs = sorted({p.organization_id for p in state.projects.values() if p.organization_id})
    if organization_id:
        seen = organization_id in orgs or not orgs
        return Check("organization", seen, organization_id + ("" if seen else " owns none of your projects"))
    if len(orgs) == 1:
        return Check("organization", True, f"{orgs[0]} (inferred; set QC_ORGANIZATION_ID to be sure)", warning=True)
    return Check("organization", False, f"QC_ORGANIZATION_ID not set and {len(orgs)} organizations seen")


def _manifest(m: Manifest, state: LiveState, environ: Mapping[str, str]) -> Check:
    subject = f"manifest {m.name}"
    try:
        [d] = resolve([m], state)
    except ProblemsError as exc:
        return Check(subject, False, "; ".join(p.message for p in exc.problems))
    notes, warnings = [f"project {d.project.project_id}", f"node {d.node.name or d.node.id}"], []
    if d.node.busy and (d.node.project_id != d.project.project_id):
        warnings.append(f"node busy ({d.node.used_by or 'in use'})")
    module = str(m.spec["brokerage"].get("id"))
    notes.append(f"brokerage {module}" if module in BROKERAGES else f"unknown brokerage {module}")
    version = m.spec["versionId"]
    notes.append(f"LEAN {d.project.lean_version or '?'}" if version == "project" else f"LEAN {version} (pinned)")
    differ = [str(fc.path[-1]) for fc in parameter_changes(d)]
    if differ:
        warnings.append(f"project parameters differ from the manifest: {', '.join(differ)}")
    if module in OAUTH_BROKERAGES:
        warnings.append(_oauth(module))
    unset = sorted({n for _, ref in m.references() for n in substitute(ref, environ).missing})
    if unset:
        warnings.append(f"not set here: {', '.join(unset)} (apply needs them)")
    ok = module in BROKERAGES
    return Check(subject, ok, ", ".join(notes + warnings), warning=bool(warnings))


def _oauth(module: str) -> str:
    return (
        f"{module} logs in with OAuth: its tokens come from a browser login, then live/auth0/read "
        f"{{brokerage: {OAUTH_BROKERAGES[module]}}} (README: OAuth brokerages)"
    )


def _free_nodes(state: LiveState) -> Check:
    free = [n.name or n.id for n in state.nodes if not n.busy]
    detail = f"{len(free)} of {len(state.nodes)} free" + (f": {', '.join(sorted(free))}" if free else "")
    return Check("live nodes", bool(state.nodes), detail if state.nodes else "no live nodes in this organization")


def table(checks: Sequence[Check]) -> str:
    """The report as an aligned table."""
    width = max([len(c.subject) for c in checks] + [5])
    lines = [f"{'CHECK':<{width}}  RESULT  DETAIL"]
    lines += [f"{c.subject:<{width}}  {c.verdict:<6}  {c.detail}" for c in checks]
    return "\n".join(lines) + "\n"
