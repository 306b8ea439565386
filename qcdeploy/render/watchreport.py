"""One watch pass as text: each finding with what watch did about it, then what it could not do."""

from __future__ import annotations

from collections.abc import Sequence

from qcdeploy.planning.watch import Act, Survey

_SAID = {
    Act.REPORT: "",
    Act.HEAL: "heal",
    Act.BACKOFF: "heal waits (backoff)",
    Act.GAVE_UP: "GAVE UP healing",
    Act.SYNC: "sync",
}


def text(at: str, environment: str, survey: Survey, done: Sequence[tuple[str, str, str]], notes: Sequence[str]) -> str:
    """`done`: (deployment, outcome, detail) of each heal or sync carried out or held back."""
    where = f" [{environment}]" if environment else ""
    outcome = {name: (what, detail) for name, what, detail in done}
    findings = [*survey.interrupted, *(d.finding for d in survey.decisions)]
    if not findings:
        return f"{at}{where} watch: all well.\n"
    lines = [f"{at}{where} watch: {len(findings)} finding(s)."]
    for f in survey.interrupted:
        lines.append(f"  {f.kind:<20} {f.name or '-':<24} {f.detail}")
    for d in survey.decisions:
        f = d.finding
        line = f"  {f.kind:<20} {f.name or '-':<24} project {f.project_id} {f.deploy_id or '-'}: {f.detail}"
        act = _SAID[d.act]
        if f.name in outcome and d.act in (Act.HEAL, Act.SYNC):
            what, detail = outcome[f.name]
            act = f"{what}" + (f": {detail}" if detail else "")
        elif d.detail:
            act = f"{act}: {d.detail}" if act else d.detail
        lines.append(line + (f" -> {act}" if act else ""))
    lines += [f"  note: {n}" for n in notes]
    reported = sorted({d.finding.kind for d in survey.decisions if d.act is Act.REPORT} & set(_WAY_FORWARD))
    lines += [f"  {_WAY_FORWARD[kind].format(env=f' --env {environment}' if environment else '')}" for kind in reported]
    return "\n".join(lines) + "\n"


# what a person can do about a finding watch only reported
_WAY_FORWARD = {
    "crashed": "crashed: `qcdeploy apply{env}` redeploys it; spec.heal: {{crashed: redeploy}} lets watch do it",
    "stopped-outside": (
        "stopped outside qcdeploy: `qcdeploy apply{env}` starts it again, or set state: stopped to keep it down"
    ),
}
