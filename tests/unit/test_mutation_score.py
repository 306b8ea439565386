"""`make mutate`'s report: a surviving mutant counts as explained only when docs/mutation names it (whole, or by a
`*` pattern), killed and type-checked mutants raise the score, and the unexplained ones are listed."""

from __future__ import annotations

from pathlib import Path

from bench.mutation_score import counts, explained_patterns, is_explained, verdicts

RESULTS = """\
    qcdeploy.apply.summary.x_render__mutmut_1: killed
    qcdeploy.apply.summary.x_render__mutmut_2: survived
    qcdeploy.apply.summary.x_render__mutmut_3: caught by type check
    qcdeploy.apply.summary.xǁBoardǁpoll__mutmut_4: no tests
    qcdeploy.apply.summary.x_line__mutmut_5: survived
noise that is not a verdict
"""


def test_a_mutant_is_explained_by_its_full_name_or_a_star_pattern_and_nothing_looser():
    assert is_explained("qcdeploy.a.x_f__mutmut_1", ["qcdeploy.a.x_f__mutmut_1"])
    assert is_explained("qcdeploy.a.x_f__mutmut_12", ["qcdeploy.a.x_f__mutmut_*"])
    assert not is_explained("qcdeploy.a.x_f__mutmut_12", ["qcdeploy.a.x_f__mutmut_1"])  # no prefix match
    assert not is_explained("qcdeploy.a.x_f__mutmut_1", ["qcdeploy.a.x_f__mutmut_?"])  # only '*' makes a pattern


def test_the_docs_name_mutants_in_backticks_only(tmp_path: Path):
    (tmp_path / "summary.md").write_text(
        "- `qcdeploy.apply.summary.x_line__mutmut_5` message: text only\n- qcdeploy.apply.summary.x_render__mutmut_2\n"
    )
    assert explained_patterns(tmp_path) == ["qcdeploy.apply.summary.x_line__mutmut_5"]


def test_counts_score_killed_and_type_checked_and_list_what_is_not_explained():
    by_module, unjudged = counts(verdicts(RESULTS.splitlines()), ["qcdeploy.apply.summary.x_line__mutmut_5"])
    seen = by_module["qcdeploy.apply.summary"]
    assert (seen["killed"], seen["caught by type check"], seen["survived"], seen["no tests"]) == (1, 1, 2, 1)
    assert (seen["explained"], seen["unjudged"]) == (1, 2)
    assert unjudged == [
        "qcdeploy.apply.summary.x_render__mutmut_2: survived",
        "qcdeploy.apply.summary.xǁBoardǁpoll__mutmut_4: no tests",
    ]
