"""Plan renderers: each a pure function Plan -> str."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qcdeploy.model import Plan
    from qcdeploy.render.text import Style

FORMATS = ("text", "json", "markdown")


def render(
    plan: Plan,
    fmt: str,
    style: Style | None = None,
    verbose: bool = False,
    environment: str | None = None,
    approved: Sequence[str] = (),
) -> str:
    """Dispatch to the renderer of fmt; only text is coloured, and only text is shorter without `verbose` (JSON
    always has every field). Markdown (a pull-request comment) names the environment and what was approved."""
    if fmt == "json":
        from qcdeploy.render.jsonplan import render as as_json

        return as_json(plan)
    if fmt == "markdown":
        from qcdeploy.render.markdown import render as as_markdown

        return as_markdown(plan, environment=environment, approved=approved)
    from qcdeploy.render.text import plain
    from qcdeploy.render.text import render as as_text

    return as_text(plan, style or plain, verbose, approved)
