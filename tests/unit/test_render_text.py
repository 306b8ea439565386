"""Text rendering: symbols, fields, masking, summary line, colour only when asked."""

from __future__ import annotations

from qcdeploy.model import Action, Change, FieldChange, Plan, Reason, Why
from qcdeploy.render.text import render, summary
from tests.builders import desired, live


def because(text: str) -> Reason:
    return Reason(Why.FIELD_CHANGED, text)


def test_summary_lines():
    assert summary(Plan(())).startswith("No changes.")
    plan = Plan(
        (Change("a", Action.CREATE, (because("new"),)), Change("b", Action.LIQUIDATE, (because("x"),), observed=live()))
    )
    assert summary(plan) == "Plan: 1 to create, 0 to replace, 0 to stop, 1 to liquidate."


def test_symbols_and_masking():
    d = desired(brokerage={"id": "X", "pw": "hunter2"}, sensitive=[("brokerage", "pw")])
    plan = Plan(
        (
            Change("s", Action.STOP, (because("state: stopped"),), observed=live()),
            Change("l", Action.LIQUIDATE, (because("state: stopped"),), observed=live()),
            Change(
                "r",
                Action.REPLACE,
                (because("brokerage changed"),),
                desired=d,
                observed=live(),
                field_changes=(
                    FieldChange(("brokerage", "pw"), {"$sensitive": "scrypt:aa"}, {"$sensitive": "scrypt:bb"}, True),
                ),
            ),
            Change("c", Action.CREATE, (because("new deployment"),), desired=d),
        )
    )
    text = render(plan)
    for line in (
        "  - s  will be stopped",
        "  -$ l  will be liquidated",
        "  -/+ r  will be replaced",
        "  + c  will be deployed",
    ):
        assert line in text
    assert "~ brokerage.pw: (sensitive) -> (sensitive)" in text
    assert "brokerage.pw: (sensitive)" in text
    assert "hunter2" not in text and "scrypt:" not in text
    assert "\x1b[" not in text


def test_colour_only_through_style():
    plan = Plan((Change("c", Action.CREATE, (because("new"),), desired=desired()),))
    coloured = render(plan, lambda text, colour: f"<{colour}>{text}</{colour}>")
    assert "<green>  + c</green>" in coloured


def test_every_colour_is_one_click_knows():
    import click

    changes = tuple(
        Change(
            f"c{a.value}",
            a,
            (because("r"),),
            desired=desired(),
            observed=live(),
            managed=False,
            protected=True,
            blocked="b",
        )
        for a in Action
    )
    coloured = render(Plan(changes), lambda text, colour: click.style(text, fg=colour))
    assert "\x1b[31m" in coloured and "\x1b[32m" in coloured and "\x1b[33m" in coloured


def test_no_changes_says_what_it_covers():
    from qcdeploy.model import LiveDeployment, Plan, Unmanaged
    from qcdeploy.render.text import summary

    dep = LiveDeployment(1, "L-1", "Running")
    assert summary(Plan((), unchanged=("a",))) == "No changes. Live deployments match the manifests."
    nothing = summary(Plan((), unmanaged=(Unmanaged(dep, "P"),) * 3))
    assert (
        nothing
        == "No changes. Nothing is managed yet: 3 running deployment(s) are unmanaged (adopt them, or export --adopt)."
    )
    some = summary(Plan((), unmanaged=(Unmanaged(dep, "P"),), unchanged=("a", "b")))
    assert some == "No changes. 2 managed deployment(s) match their manifests; 1 unmanaged and 0 orphaned listed above."
