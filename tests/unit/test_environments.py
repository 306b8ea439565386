"""Environment overlays, without files: the merge patch and where each environment's ledger lives."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from qcdeploy.manifests.environments import Environment, merge_patch, state_url
from qcdeploy.manifests.yamlsrc import Document

# RFC 7396, appendix A: every example, in order
RFC_7396 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC_7396)
def test_merge_patch_follows_every_example_of_rfc_7396(target: Any, patch: Any, result: Any):
    before_target, before_patch = copy.deepcopy(target), copy.deepcopy(patch)
    assert merge_patch(target, patch) == result
    assert (target, patch) == (before_target, before_patch)  # neither input is changed


def test_a_patched_value_is_a_copy_of_the_overlays():
    patch = {"brokerage": {"cash": [{"currency": "USD", "amount": 1}]}}
    merged = merge_patch({}, patch)
    merged["brokerage"]["cash"][0]["amount"] = 2
    assert patch["brokerage"]["cash"][0]["amount"] == 1


def env(name: str = "live", state: str | None = None) -> Environment:
    return Environment(name, state, Document("envs.yaml", 0, {}))


@pytest.mark.parametrize(
    ("base", "ledger"),
    [
        (".qcdeploy/state.json", ".qcdeploy/state-live.json"),
        ("file:/srv/ledger.json", "file:/srv/ledger-live.json"),
        ("/srv/ledger", "/srv/ledger-live"),
        ("/srv/ledger.d/ledger", "/srv/ledger.d/ledger-live"),  # a dot in a folder is not a suffix
        ("git:", "git:#qcdeploy-state-live"),
        ("git:origin#ops", "git:origin#ops-live"),
        ("https://tf.example/state/qcdeploy", "https://tf.example/state/qcdeploy-live"),
        ("https://tf.example/state/qcdeploy/?lock=1", "https://tf.example/state/qcdeploy-live?lock=1"),
    ],
)
def test_each_environment_has_its_own_ledger_beside_the_base_one(base: str, ledger: str):
    assert state_url(base, env()) == ledger


def test_an_environment_that_names_its_ledger_uses_it():
    assert state_url(".qcdeploy/state.json", env(state="git:origin#live-ledger")) == "git:origin#live-ledger"
