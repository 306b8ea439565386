"""Decoding the API's answers: every shape it is known to send, read the same way (qc-api §3, §5, §7), and the
newest deployment of each project picked from live/list."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qcdeploy.manifests.brokerages import module_id
from qcdeploy.quantconnect.decode import deployment, newest_per_project, parse_time, project
from qcdeploy.quantconnect.decode import reported_providers as _providers

WHEN = datetime(2021, 11, 26, 15, 18, 27, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "2021-11-26T15:18:27Z",
        "2021-11-26T15:18:27.000Z",
        "2021-11-26T15:18:27.0000000Z",
        "2021-11-26 15:18:27",
        "2021-11-26T15:18:27",
        "2021-11-26T15:18:27+00:00",
        "2021-11-26T16:18:27+01:00",
        "11/26/2021 15:18:27",
        "11/26/2021 3:18:27 PM",
    ],
)
def test_every_time_form(text):
    assert parse_time(text) == WHEN


def test_unreadable_times_are_unknown_not_guessed():
    assert parse_time("yesterday") is None and parse_time("") is None and parse_time(1637939907) is None


@pytest.mark.parametrize(
    "raw",
    [
        [{"key": "fast", "value": "10"}, {"key": "slow", "value": "30"}],
        {"0": {"key": "fast", "value": "10"}, "1": {"key": "slow", "value": "30"}},  # lean-cli's dict fix
        {"fast": "10", "slow": 30},
        [{"name": "fast", "value": "10"}, {"name": "slow", "value": "30"}],  # LEAN's C# Parameter
        {"0": {"name": "fast", "value": "10"}, "1": {"name": "slow", "value": 30}},
    ],
)
def test_project_parameters_in_every_shape(raw):
    p = project({"projectId": 1, "parameters": raw, "leanVersionId": 17000})
    assert dict(p.parameters) == {"fast": "10", "slow": "30"} and p.lean_version == "17000"


def test_brokerage_display_names_map_to_module_ids():
    assert module_id("PaperBrokerage") == "QuantConnectBrokerage"
    assert module_id("Interactive") == "InteractiveBrokersBrokerage"
    assert module_id("OandaBrokerage") == "OandaBrokerage"  # newer answers carry the module id itself
    assert module_id("FXCM") is None  # unknown: export writes SET-ME, never the display name


def test_data_providers_data_as_objects_or_ids():
    assert _providers({"dataProvidersData": [{"id": "InteractiveBrokersBrokerage"}, "QuantConnectBrokerage"]}) == [
        "InteractiveBrokersBrokerage",
        "QuantConnectBrokerage",
    ]


def test_live_read_and_list_rows():
    read = deployment(
        {"deployId": "L-1", "status": "Running", "launched": "2021-11-26 15:18:27", "brokerage": "Interactive"}, 7
    )
    assert read.project_id == 7 and read.launched == WHEN and read.brokerage == "Interactive"
    listed = deployment(
        {
            "projectId": 7,
            "deployId": "L-1",
            "status": "Stopped",
            "launched": "2021-11-26T15:18:27.693Z",
            "stopped": None,
        }
    )
    assert listed.stopped is None and not listed.active


def test_parse_both_time_forms():
    a = parse_time("2021-11-26T15:18:27.693Z")
    b = parse_time("2021-11-26 15:18:27")
    assert a is not None and b is not None and a.tzinfo is not None
    assert (a - b).total_seconds() == pytest.approx(0.693)
    assert parse_time("garbage") is None and parse_time(None) is None


def test_newest_deployment_per_project_wins():
    rows = [
        {"projectId": 1, "deployId": "L-old", "status": "Stopped", "launched": "2026-01-01 00:00:00"},
        {"projectId": 1, "deployId": "L-new", "status": "Running", "launched": "2026-01-02T00:00:00Z"},
        {"projectId": 2, "deployId": "L-2", "status": "Running", "launched": "2026-01-01 00:00:00"},
    ]
    newest = newest_per_project(rows)
    assert newest[1].deploy_id == "L-new" and newest[1].active and newest[2].deploy_id == "L-2"


def test_active_deployment_beats_a_later_or_undated_inactive_one():
    rows = [
        {"projectId": 1, "deployId": "L-run", "status": "Running", "launched": "2026-01-01 00:00:00"},
        {"projectId": 1, "deployId": "L-odd", "status": "Stopped", "launched": "2026-02-01 00:00:00"},
        {"projectId": 2, "deployId": "L-a", "status": "Stopped", "launched": "2026-01-01 00:00:00"},
        {"projectId": 2, "deployId": "L-b", "status": "InQueue"},
    ]
    newest = newest_per_project(rows)
    assert newest[1].deploy_id == "L-run" and newest[2].deploy_id == "L-b"
