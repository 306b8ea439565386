"""Plan -> a pull-request comment: summary first, a banner for stops, one <details> per deployment."""

from __future__ import annotations

from collections.abc import Sequence

from qcdeploy.model import Change, Plan
from qcdeploy.render.stake import brief
from qcdeploy.render.text import change_lines, left_alone, summary

MARKER = "<!-- qcdeploy-plan -->"  # lets a workflow find and update its own comment (one per environment)
LIMIT = 65_536  # GitHub's maximum comment size, in characters
_CUT = (
    "\n\n> :scissors: **{n} of {total} sections were cut** to fit GitHub's {limit:,}-character comment limit. "
    "The full plan is in the job log and the saved plan artifact.\n"
)


def marker(environment: str | None = None) -> str:
    """The hidden line a workflow finds its comment by: one comment per environment."""
    return MARKER if not environment else f"<!-- qcdeploy-plan env={environment} -->"


def render(plan: Plan, limit: int = LIMIT, environment: str | None = None, approved: Sequence[str] = ()) -> str:
    """At most `limit` characters; the summary and banner always survive, detail is cut from the end. The heading
    and marker name the environment; what was approved with a saved plan (`--allow-protected`) is shown."""
    head = _head(plan, environment, approved)
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


def _head(plan: Plan, environment: str | None, approved: Sequence[str]) -> str:
    title = f"## qcdeploy plan: environment `{environment}`" if environment else "## qcdeploy plan"
    lines = [marker(environment), title, "", f"**{summary(plan)}**", ""]
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
    allowed = "protected" in approved
    flagged = [c for c in plan.changes if c.blocked or (c.protected and c.stops and not allowed)]
    if flagged:
        lines += ["> [!CAUTION]", "> Apply will refuse or skip:"]
        lines += [f"> - `{c.name}`: {c.blocked or 'protected (needs --allow-protected)'}" for c in flagged[:20]]
        lines.append("")
    lines += _approval(plan, approved)
    lines += [f"> {w}" for w in plan.warnings]
    return "\n".join(lines) + "\n"


def _approval(plan: Plan, approved: Sequence[str]) -> list[str]:
    if "protected" not in approved:
        return []
    names = [f"`{c.name}`" for c in plan.changes if c.protected and c.stops]
    lines = ["> [!IMPORTANT]", "> **Approved with this plan: `--allow-protected`.** Merging it approves applying it"]
    lines.append(
        f"> without the flag again: it stops or replaces protected {', '.join(names)}."
        if names
        else "> without the flag again (it stops or replaces no protected deployment)."
    )
    return [*lines, ""]


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
