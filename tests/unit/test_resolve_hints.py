"""A project name that is not in the account is reported with the one it was probably meant to be: the same
name in another case, or one a typo away; a name like nothing in the account gets no guess."""

from __future__ import annotations

import pytest

from qcdeploy.model import Project
from qcdeploy.planning.resolve import _near

PROJECTS = {
    name: [Project(i, name, "", None)] for i, name in enumerate(["Live/Momentum", "Live/MeanReversion", "Paper/Pairs"])
}


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("live/momentum", "Live/Momentum"),
        ("LIVE/MOMENTUM", "Live/Momentum"),  # another case throughout: no typo-distance would find it
        ("Live/MeanReverson", "Live/MeanReversion"),
        ("Paper/Pair", "Paper/Pairs"),
    ],
)
def test_a_near_miss_names_the_project_it_was_probably_meant_to_be(written, meant):
    assert _near(written, PROJECTS) == f" (did you mean {meant!r}?)"


@pytest.mark.parametrize("written", ["Live/Arbitrage", "Research/Scratch", ""])
def test_a_name_like_nothing_in_the_account_gets_no_guess(written):
    assert _near(written, PROJECTS) == ""
