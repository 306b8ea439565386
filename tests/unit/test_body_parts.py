"""The live/create body, part by part: the LEAN version sent, data-provider settings as strings, and the
preflight problems that refuse a body before anything is stopped (unknown module, no guess, a secret in a list)."""

from __future__ import annotations

from typing import Any

from qcdeploy.apply.body import create_body, empty_secrets, problems


def fields(**over: Any) -> dict[str, Any]:
    base = {
        "projectId": 1,
        "nodeId": "LN-1",
        "compile": "latest",
        "versionId": "project",
        "brokerage": {"id": "QuantConnectBrokerage"},
        "dataProviders": {"QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}},
        "parameters": {},
        "automaticRedeploy": False,
    }
    return base | over


def test_the_projects_own_lean_version_is_sent_where_the_manifest_names_none():
    assert create_body(fields(), "c", "17001")["versionId"] == "17001"


def test_master_is_sent_only_when_the_projects_version_is_unknown():
    assert create_body(fields(), "c", "")["versionId"] == "-1"


def test_a_version_the_manifest_names_is_sent_as_named():
    assert create_body(fields(versionId="16900"), "c", "17001")["versionId"] == "16900"


def test_the_body_has_the_fields_and_the_compile_id_and_nothing_else():
    body = create_body(fields(), "c-1", "17001")
    assert sorted(body) == sorted([*(k for k in fields() if k != "compile"), "compileId"])
    assert body["compileId"] == "c-1"


def test_data_provider_settings_are_sent_as_strings_like_brokerage_settings():
    providers = {"P": {"id": "QuantConnectBrokerage", "port": 8194, "on": True}}
    body = create_body(fields(dataProviders=providers), "c", "")
    assert body["dataProviders"] == {"P": {"id": "QuantConnectBrokerage", "port": "8194", "on": "True"}}


def test_a_brokerage_without_an_id_is_an_unknown_module_named_empty():
    [found] = problems(create_body(fields(brokerage={"user": "u"}), "c", ""))
    assert found.startswith("brokerage id '' is not a known module")


def test_an_unknown_module_with_nothing_close_gets_no_guess():
    [found] = problems(create_body(fields(brokerage={"id": "Zzqx"}), "c", ""))
    assert found.endswith("'Zzqx' is not a known module")


def test_a_secret_under_a_list_or_a_string_is_not_looked_into():
    body = create_body(fields(brokerage={"id": "QuantConnectBrokerage", "cash": [{"pw": ""}]}), "c", "")
    assert empty_secrets(body, [("brokerage", "cash", 0, "pw"), ("brokerage", "id", "pw")]) == []
