"""Markdown: never over GitHub's limit; the summary and banner survive the cut."""

from __future__ import annotations

from qcdeploy.model import Action, Plan, Reason, Why
from qcdeploy.render.markdown import LIMIT, render
from tests.builders import change, desired, live


def because(text: str) -> Reason:
    return Reason(Why.FIELD_CHANGED, text)


def test_long_plans_are_cut_to_the_limit_keeping_head():
    changes = tuple(
        change(Action.STOP, f"strategy-{i:04d}", "manifest removed (--prune)", observed=live(i, f"L-{i}"))
        for i in range(1500)
    )
    changes += tuple(
        change(Action.CREATE, f"new-{i:04d}", "new deployment", desired=desired(f"new-{i:04d}", 5000 + i))
        for i in range(500)
    )
    md = render(Plan(changes))
    assert len(md) <= LIMIT
    assert md.startswith(
        "<!-- qcdeploy-plan -->\n## qcdeploy plan\n\n**Plan: 500 to create, 0 to replace, 1500 to stop, 0 to liquidate.**"
    )
    assert "This plan stops 1500 live deployment(s)" in md and "and 1480 more" in md
    assert "sections were cut" in md
    assert md.count("<details>") == md.count("</details>")


def test_short_plan_is_not_cut():
    md = render(Plan((change(Action.CREATE, "a", "new deployment"),)))
    assert "cut" not in md and "[!WARNING]" not in md and md.count("<details>") == 1
