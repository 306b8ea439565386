"""Plan -> a pull-request comment: summary first, a banner for stops, one <details> per deployment."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qcdeploy.model import Change, Plan
from qcdeploy.render.stake import brief
from qcdeploy.render.text import change_lines, left_alone, summary

MARKER = "<!-- qcdeploy-plan -->"  # lets a workflow find and update its own comment (one per environment)
LIMIT = 65_536  # GitHub's maximum comment size, in characters
DETAILED = 20  # stops listed one per line with their stake; more are named in a compact list
NAMES_PER_LINE = 10
MANY_WARNINGS = 10  # more than this: one line per kind of warning, not one per deployment
_CUT = (
    "\n> :scissors: **Cut to fit GitHub's {limit:,}-character comment limit: {what}.** The full plan is in the "
    "saved plan artifact (`qcdeploy show plan.json`) and in the plan job's summary.\n"
)
_CUT_ROOM = 400  # the cut note, with room for its counts
_PER_DEPLOYMENT = re.compile(r"([a-z0-9](?:[-a-z0-9]*[a-z0-9])?): (.+)")  # "<manifest name>: <what>"


def marker(environment: str | None = None) -> str:
    """The hidden line a workflow finds its comment by: one comment per environment."""
    return MARKER if not environment else f"<!-- qcdeploy-plan env={environment} -->"


def render(plan: Plan, limit: int = LIMIT, environment: str | None = None, approved: Sequence[str] = ()) -> str:
    """At most `limit` characters, cut only between lines: the summary, then every deployment that stops (all
    named, whatever their number), the refusals and warnings, then one section per change as room allows. The
    heading and marker name the environment; what was approved with a saved plan (`--allow-protected`) is shown."""
    room = limit - _CUT_ROOM
    body, head_cut = _fit(_head(plan, environment, approved), room)
    sections = [_section(c) for c in plan.changes] + _left_alone(plan)
    kept = 0
    for section in sections if not head_cut else ():
        if len(body) + len(section) > room:
            break
        body += section
        kept += 1
    cut = [f"{head_cut} line(s) of the banners above"] if head_cut else []
    if kept < len(sections):
        cut.append(f"{len(sections) - kept} of {len(sections)} sections")
    return body + (_CUT.format(limit=limit, what=", ".join(cut)) if cut else "")


def _fit(text: str, room: int) -> tuple[str, int]:
    """The whole lines of text that fit in room, and how many did not."""
    lines = text.splitlines(keepends=True)
    size = 0
    for i, line in enumerate(lines):
        if size + len(line) > room:
            return "".join(lines[:i]), len(lines) - i
        size += len(line)
    return text, 0


def _head(plan: Plan, environment: str | None, approved: Sequence[str]) -> str:
    title = f"## qcdeploy plan: environment `{environment}`" if environment else "## qcdeploy plan"
    lines = [marker(environment), title, "", f"**{summary(plan)}**", ""]
    if plan.interrupted:
        lines += ["> [!CAUTION]", "> **An earlier apply was interrupted:**"]
        lines += [f"> - **INTERRUPTED `{i.name}`**: {i.detail}" for i in plan.interrupted]
        lines.append("")
    stopping = [c for c in plan.changes if c.stops]
    if stopping:
        lines += [
            "> [!WARNING]",
            f"> **This plan stops {len(stopping)} running deployment(s).** "
            "Positions are kept unless it says liquidate.",
        ]
        lines += _detailed(stopping) if len(stopping) <= DETAILED else _compact(stopping)
        lines.append("")
    allowed = "protected" in approved
    flagged = [c for c in plan.changes if c.blocked or (c.protected and c.stops and not allowed)]
    if flagged:
        lines += ["> [!CAUTION]", "> Apply will refuse or skip:"]
        lines += [f"> - `{c.name}`: {c.blocked or 'protected (needs --allow-protected)'}" for c in flagged]
        lines.append("")
    lines += _approval(plan, approved)
    if plan.warnings:
        lines += [*_warnings(plan.warnings), ""]
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


def _detailed(stopping: list[Change]) -> list[str]:
    return [f"> - `{c.action.symbol} {c.name}`: {_stop_words(c)}{_stake(c)}" for c in stopping]


def _compact(stopping: list[Change]) -> list[str]:
    """Every name, grouped by how it ends, several to a line (what each puts at stake is in its section); a
    name whose portfolio could not be read is marked, as the detailed banner marks it."""
    groups: dict[str, list[str]] = {}
    for c in stopping:
        unknown = c.exposure is not None and bool(c.exposure.unknown)
        groups.setdefault(_stop_words(c), []).append(f"`{c.name}`" + (" :warning:" if unknown else ""))
    lines = []
    for how, names in groups.items():
        lines += [">", f"> **{how}: {len(names)}**"]
        lines += ["> " + ", ".join(names[i : i + NAMES_PER_LINE]) for i in range(0, len(names), NAMES_PER_LINE)]
    if any(name.endswith(":warning:") for names in groups.values() for name in names):
        lines += [">", "> :warning: what it holds could not be read (see its section)"]
    return lines


def _warnings(warnings: tuple[str, ...]) -> list[str]:
    """Each warning; when there are many, one line per kind, with how many deployments it concerns."""
    if len(warnings) <= MANY_WARNINGS:
        return [f"> {_escape(w)}" for w in warnings]
    kinds: dict[str, list[str]] = {}
    for w in warnings:
        found = _PER_DEPLOYMENT.fullmatch(w)
        what, who = (found[2], found[1]) if found else (w, "")
        kinds.setdefault(what, []).append(who)
    lines = [f"> **{len(warnings)} warnings:**"]
    for what, who in kinds.items():
        named = [f"`{n}`" for n in who if n]
        if not named:
            lines.append(f"> - {_escape(what)}")
            continue
        more = f" and {len(named) - 5} more" if len(named) > 5 else ""
        lines.append(f"> - {len(named)} deployment(s): {_escape(what)} ({', '.join(named[:5])}{more})")
    return lines


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
    detail = "\n".join(_coloured(line.rstrip()) for line in change_lines(c))
    note = c.desired.gate_note if c.desired is not None and c.creates else ""
    link = f"\n[The backtest that passed its gate]({note.rsplit('; ', 1)[-1]})\n" if "; https://" in note else ""
    return (
        f"<details><summary><code>{c.action.symbol} {c.name}</code> {c.action.value}: {_escape(reasons)}</summary>\n\n"
        f"```diff\n{detail}\n```\n{link}</details>\n"
    )


# GitHub colours a ```diff line by its first character: + green, - red, ! orange (as Atlantis renders Terraform's ~)
_DIFF_MARKS = {"+": "+", "-": "-", "-$": "-", "-/+": "!", "~": "!"}


def _coloured(line: str) -> str:
    """A plan line with its change symbol moved to the first column, the rest kept where it was."""
    body = line.lstrip(" ")
    symbol, _, rest = body.partition(" ")
    if symbol not in _DIFF_MARKS or not rest:
        return line
    mark = _DIFF_MARKS[symbol]
    return mark + " " * (len(line) - len(body) + len(symbol) - len(mark) + 1) + rest


def _left_alone(plan: Plan) -> list[str]:
    lines = left_alone(plan)
    if not lines:
        return []
    text = "\n".join(lines).rstrip()
    others = sum(1 for u in plan.unmanaged if u.environment)
    parts = [f"{len(plan.unmanaged) - others} unmanaged", f"{len(plan.orphaned)} orphaned"]
    parts += [f"{others} managed by other environments"] if others else []
    title = "Left alone: " + ", ".join(parts)
    return [f"<details><summary>{title}</summary>\n\n```\n{text}\n```\n</details>\n"]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
