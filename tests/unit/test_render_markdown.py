"""Markdown: never over GitHub's limit; the summary and banner survive the cut."""

from __future__ import annotations

from qcdeploy.model import Action, Change, Plan, Reason, Why
from qcdeploy.render.markdown import LIMIT, render
from tests.builders import change, desired, live


def because(text: str) -> Reason:
    return Reason(Why.FIELD_CHANGED, text)


def stops(n: int, prefix: str = "strategy", action: Action = Action.STOP) -> tuple[Change, ...]:
    return tuple(
        change(action, f"{prefix}-{i:04d}", "manifest removed (--prune)", observed=live(i, f"L-{i}")) for i in range(n)
    )


def creates(n: int) -> tuple[Change, ...]:
    return tuple(
        change(Action.CREATE, f"new-{i:04d}", "new deployment", desired=desired(f"new-{i:04d}", 5000 + i))
        for i in range(n)
    )


def test_long_plans_are_cut_to_the_limit_keeping_head():
    md = render(Plan(stops(1500) + creates(500)))
    assert len(md) <= LIMIT
    assert md.startswith(
        "<!-- qcdeploy-plan -->\n## qcdeploy plan\n\n**Plan: 500 to create, 0 to replace, 1500 to stop, 0 to liquidate.**"
    )
    assert "This plan stops 1500 running deployment(s)" in md
    assert "sections" in md and "Cut to fit" in md and "plan.json" in md
    assert md.count("<details>") == md.count("</details>")


def test_every_stop_and_liquidation_is_named_whatever_the_fleet_size():
    """500 stops and liquidations beside 500 creates: the banner named 20 and sections were cut from the end,
    so hundreds of strategies about to be stopped were named nowhere in the comment."""
    plan = Plan(stops(250) + stops(250, "liq", Action.LIQUIDATE) + creates(500))
    md = render(plan)
    assert len(md) <= LIMIT
    for c in plan.changes:
        if c.stops:
            assert f"`{c.name}`" in md, c.name
    assert "**liquidate (sell everything), then stop: 250**" in md and "**stop (keep positions): 250**" in md


def test_many_warnings_are_summarised_not_repeated_per_deployment():
    warning = "spec.brokerage.ib-password (sensitive, not set here: cannot tell whether it changed)"
    plan = Plan(creates(1000), warnings=tuple(f"new-{i:04d}: {warning}" for i in range(1000)))
    md = render(plan)
    assert len(md) <= LIMIT
    assert md.count(warning) == 1 and "1000 deployment(s)" in md and "and 995 more" in md
    assert md.count("<details>") > 100  # the sections are shown, not crowded out by warnings


def test_a_cut_falls_between_lines_and_says_what_was_cut():
    """A banner longer than the limit: the comment was cut mid-line at exactly the limit, with no note."""
    long_names = stops(1200, "a-strategy-with-a-rather-long-name-that-takes-room-in-the-banner")
    full = render(Plan(long_names), limit=10**7)
    md = render(Plan(long_names))
    assert len(md) <= LIMIT
    *kept, note = md.rstrip("\n").split("\n")
    assert all(line + "\n" in full for line in kept)  # every line whole
    assert "Cut to fit GitHub's 65,536-character comment limit" in note and "line(s) of the banners" in note
    assert "1200 of 1200 sections" in note


def test_short_plan_is_not_cut():
    md = render(Plan((change(Action.CREATE, "a", "new deployment"),)))
    assert "cut" not in md and "[!WARNING]" not in md and md.count("<details>") == 1


def test_a_long_stop_list_still_marks_a_portfolio_that_could_not_be_read():
    from dataclasses import replace

    from qcdeploy.model import Exposure

    plain = stops(30)
    blind = replace(plain[3], exposure=Exposure(unknown="live/portfolio/read failed"))
    md = render(Plan((*plain[:3], blind, *plain[4:])))
    assert "`strategy-0003` :warning:" in md and "could not be read" in md
    assert "`strategy-0004` :warning:" not in md


def test_diff_lines_start_with_the_mark_github_colours():
    from qcdeploy.render.markdown import _coloured

    assert _coloured("  + momentum  will be deployed") == "+   momentum  will be deployed"
    assert _coloured("  -$ alpha  will be liquidated") == "-    alpha  will be liquidated"
    assert _coloured("  -/+ beta  will be replaced") == "!     beta  will be replaced"
    assert _coloured('      ~ parameters.z: "1" -> "2"') == '!       parameters.z: "1" -> "2"'
    assert _coloured("      reason: state: stopped") == "      reason: state: stopped"  # not a change: left alone


def test_left_alone_counts_another_environments_deployments_apart():
    from qcdeploy.model import Unmanaged

    plan = Plan(
        creates(1),
        unmanaged=(Unmanaged(live(2, "L-2"), "Live/X", "x", "live"), Unmanaged(live(3, "L-3"), "Pairs", None)),
    )
    assert "Left alone: 1 unmanaged, 0 orphaned, 1 managed by other environments" in render(plan)
