"""Text rendering: symbols, fields, masking, summary line, colour only when asked."""

from __future__ import annotations

from qcdeploy.model import Action, FieldChange, Plan, Reason, Why
from qcdeploy.render.text import render, summary
from tests.builders import change, desired


def because(text: str) -> Reason:
    return Reason(Why.FIELD_CHANGED, text)


def test_summary_lines():
    assert summary(Plan(())).startswith("No changes.")
    plan = Plan((change(Action.CREATE, "a", "new"), change(Action.LIQUIDATE, "b")))
    assert summary(plan) == "Plan: 1 to create, 0 to replace, 0 to stop, 1 to liquidate."


def test_symbols_and_masking():
    d = desired(brokerage={"id": "X", "pw": "hunter2"}, sensitive=[("brokerage", "pw")])
    plan = Plan(
        (
            change(Action.STOP, "s", "state: stopped"),
            change(Action.LIQUIDATE, "l", "state: stopped"),
            change(
                Action.REPLACE,
                "r",
                "brokerage changed",
                desired=d,
                field_changes=(
                    FieldChange(("brokerage", "pw"), {"$sensitive": "scrypt:aa"}, {"$sensitive": "scrypt:bb"}, True),
                ),
            ),
            change(Action.CREATE, "c", "new deployment", desired=d),
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
    plan = Plan((change(Action.CREATE, "c", "new"),))
    coloured = render(plan, lambda text, colour: f"<{colour}>{text}</{colour}>")
    assert "<green>  + c</green>" in coloured


def test_every_colour_is_one_click_knows():
    import click

    changes = tuple(
        change(
            a,
            f"c{a.value}",
            "r",
            blocked="b",
            **({"managed": False, "protected": True} if a.symbol.startswith("-") else {}),
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


def test_every_replace_says_how_the_old_deployment_ends_and_the_summary_counts_liquidations():
    keeps, sells = change(Action.REPLACE, "k"), change(Action.REPLACE, "s", liquidate=True)
    text = render(Plan((keeps, sells)))
    assert "onReplace: stop (positions kept: the new deployment takes them over)" in text
    assert "onReplace: liquidate (everything sold before the new deployment starts)" in text
    assert (
        summary(Plan((keeps, sells))) == "Plan: 0 to create, 2 to replace (1 liquidating), 0 to stop, 0 to liquidate."
    )
    assert summary(Plan((keeps,))) == "Plan: 0 to create, 1 to replace, 0 to stop, 0 to liquidate."


def test_a_create_is_compact_and_says_each_value_once():
    d = desired(
        brokerage={"id": "QuantConnectBrokerage", "cash": [{"amount": 20000, "currency": "USD"}], "pw": "hunter2"},
        parameters={"fast": "10", "slow": "30"},
        sensitive=[("brokerage", "pw")],
    )
    text = render(Plan((change(Action.CREATE, "c", "new deployment", desired=d),)))
    assert "      brokerage: QuantConnectBrokerage (cash USD 20,000.00, pw (sensitive))" in text
    assert '      parameters: fast "10", slow "30"' in text
    assert "project parameters:" not in text and "hunter2" not in text
    full = render(Plan((change(Action.CREATE, "c", "new deployment", desired=d),)), verbose=True)
    assert '        parameters.fast: "10"' in full and "        brokerage.pw: (sensitive)" in full


def test_a_restart_shows_what_differs_from_its_last_run():
    from tests.builders import entry

    before, now = desired(parameters={"lookback": "20"}), desired(parameters={"lookback": "30"})
    since = (FieldChange(("parameters", "lookback"), "20", "30"),)
    restart = change(Action.CREATE, "m", "stopped outside", desired=now, entry=entry(before), since_last_run=since)
    text = render(Plan((restart,)))
    assert 'changed since its last run:\n      ~ parameters.lookback: "20" -> "30"' in text
    same = change(Action.CREATE, "m", "stopped outside", desired=before, entry=entry(before))
    assert "same spec as its last run" in render(Plan((same,)))


def test_hints_name_the_environment():
    from qcdeploy.model import command

    assert command("apply --prune", "live") == "qcdeploy apply --env live --prune"
    assert command("apply") == "qcdeploy apply" and command("adopt x", "paper") == "qcdeploy adopt --env paper x"
