"""Plan -> a pull-request comment: summary first, a banner for stops, one <details> per deployment."""

from __future__ import annotations

from qcdeploy.model import Change, Plan
from qcdeploy.render.stake import brief
from qcdeploy.render.text import change_lines, left_alone, summary

MARKER = "<!-- qcdeploy-plan -->"  # lets a workflow find and update its own comment
LIMIT = 65_536  # GitHub's maximum comment size, in characters
_CUT = (
    "\n\n> :scissors: **{n} of {total} sections were cut** to fit GitHub's {limit:,}-character comment limit. "
    "The full plan is in the job log and the saved plan artifact.\n"
)


def render(plan: Plan, limit: int = LIMIT) -> str:
    """At most `limit` characters; the summary and banner always survive, detail is cut from the end."""
    head = _head(plan)
    sections = [_section(c) for c in plan.changes] + _left_alone(plan)
    body, kept = head, 0
    for section in sections:
        if len(body) + len(section) + len(_CUT) + 40 > limit:
            break
        body += section
        kept += 1
    if kept < len(sections):
        body += _CUT.format(n=len(sections) - kept, total=len(sections), limit=limit)
    return body[:limit]


def _head(plan: Plan) -> str:
    lines = [MARKER, "## qcdeploy plan", "", f"**{summary(plan)}**", ""]
    if plan.interrupted:
        lines += ["> [!CAUTION]", "> **An earlier apply was interrupted:**"]
        lines += [f"> - **INTERRUPTED `{i.name}`**: {i.detail}" for i in plan.interrupted]
        lines.append("")
    stopping = [c for c in plan.changes if c.stops]
    if stopping:
        lines += [
            "> [!WARNING]",
            f"> **This plan stops {len(stopping)} live deployment(s).** Positions are kept unless it says liquidate.",
        ]
        lines += [f"> - `{c.action.symbol} {c.name}`: {_stop_words(c)}{_stake(c)}" for c in stopping[:20]]
        if len(stopping) > 20:
            lines.append(f"> - … and {len(stopping) - 20} more")
        lines.append("")
    flagged = [c for c in plan.changes if c.blocked or (c.protected and c.stops)]
    if flagged:
        lines += ["> [!CAUTION]", "> Apply will refuse or skip:"]
        lines += [f"> - `{c.name}`: {c.blocked or 'protected (needs --allow-protected)'}" for c in flagged[:20]]
        lines.append("")
    lines += [f"> {w}" for w in plan.warnings]
    return "\n".join(lines) + "\n"


def _stop_words(c: Change) -> str:
    how = "liquidate (sell everything), then stop" if c.liquidate else "stop (keep positions)"
    if c.creates:
        return f"replaced: {how}, then deploy again (flat in between)"
    return how


def _stake(c: Change) -> str:
    if c.exposure is None:
        return ""
    text = brief(c.exposure)
    return f". **At stake:** {_escape(text)}" if not c.exposure.unknown else f". :warning: **{_escape(text)}**"


def _section(c: Change) -> str:
    reasons = "; ".join(map(str, c.reasons))
    detail = "\n".join(line.rstrip() for line in change_lines(c))
    return (
        f"<details><summary><code>{c.action.symbol} {c.name}</code> {c.action.value}: {_escape(reasons)}</summary>\n\n"
        f"```diff\n{detail}\n```\n</details>\n"
    )


def _left_alone(plan: Plan) -> list[str]:
    lines = left_alone(plan)
    if not lines:
        return []
    text = "\n".join(lines).rstrip()
    title = f"Left alone: {len(plan.unmanaged)} unmanaged, {len(plan.orphaned)} orphaned"
    return [f"<details><summary>{title}</summary>\n\n```\n{text}\n```\n</details>\n"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
