"""The git state URL's check: what it refuses, and the ordinary URLs it must keep accepting."""

from __future__ import annotations

import pytest

from qcdeploy.stateurl import git_parts, git_problem


@pytest.mark.parametrize(
    "url",
    [
        "git:",
        "git:origin",
        "git:#ledger",
        "git:origin#qcdeploy-state-paper",
        "git:origin#team/ledger",
        "git:../origin.git#x",
        "git:https://example.com/org/repo.git#state",
        "git:git@github.com:org/repo.git#s",
        "file:-odd",
        "https://state.example.com/x",
    ],
)
def test_ordinary_urls_pass(url):
    assert git_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "git:-x",
        "git:--upload-pack=x#y",
        "git:origin#-b",
        "git:origin#a..b",
        "git:origin#a b",
        "git:origin#x:y",
        "git:origin#x.lock",
        "git:origin#refs/heads/x",
        "git:origin#.x",
        "git:origin#x/",
        "git:ext::sh -c x",
        "git:FD::3",
        "git:orig\nin",
        "git:origin#a@{1}",
        "git:origin#a\\b",
    ],
)
def test_hostile_or_malformed_urls_are_refused(url):
    assert git_problem(url)


def test_defaults():
    assert git_parts("git:") == ("origin", "qcdeploy-state")
    assert git_parts("git:up#s") == ("up", "s")
