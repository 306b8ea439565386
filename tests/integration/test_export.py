"""export -> adopt -> plan on a fleet started by hand, through the CLI."""

from __future__ import annotations

import pytest

from tests.helpers import NODE2, NODE3, P_MEANREV, P_PAIRS

pytestmark = pytest.mark.usefixtures("env")
HAND_PASSWORD = "typed-into-the-web-ui-9f8e"
HAND_IB = {
    "id": "InteractiveBrokersBrokerage",
    "ib-user-name": "trader9",
    "ib-account": "U999",
    "ib-password": HAND_PASSWORD,
    "ib-weekly-restart-utc-time": "21:00:00",
}


@pytest.fixture
def hand_made(sandbox):
    ib = dict(HAND_IB)
    sandbox.admin(
        "deploy",
        projectId=P_PAIRS,
        nodeId=NODE3,
        settings={"brokerage": ib, "parameters": {"lookback": "30"}, "automaticRedeploy": True},
    )
    sandbox.admin("deploy", projectId=P_MEANREV, nodeId=NODE2)
    return sandbox


def test_export_adopt_plan(cli, hand_made, tmp_path, monkeypatch):
    out = tmp_path / "deployments"
    result = cli("export", "--out", str(out))
    assert result.code == 0, result.err
    pairs = (out / "live-pairs.yaml").read_text()
    assert "ib-password: ${env:LIVE_PAIRS_IB_PASSWORD}" in pairs
    assert "ib-account: U999" in pairs and "node: live-node-3" in pairs and "lookback: '30'" in pairs
    assert "automaticRedeploy: true" in pairs
    assert "# Fields the API could not tell:" in pairs and "compile:" in pairs and "notification:" in pairs
    assert HAND_PASSWORD not in pairs + result.text
    assert (out / "live-meanreversion.yaml").exists()

    again = cli("export", "--out", str(out))
    assert again.code == 1 and "not overwriting" in again.err and "--force" in again.err

    refused = cli("export", "--out", str(out), "--force", "--adopt")
    assert refused.code == 1 and "set LIVE_PAIRS_IB_PASSWORD" in refused.err and "qcdeploy adopt" in refused.err

    monkeypatch.setenv("LIVE_PAIRS_IB_PASSWORD", HAND_PASSWORD)
    adopted = cli("export", "--out", str(out), "--force", "--adopt")
    assert adopted.code == 0, adopted.err
    assert "live-pairs: adopted" in adopted.out and "live-meanreversion: adopted" in adopted.out
    plan = cli("plan", str(out))
    assert plan.code == 0 and "No changes." in plan.out and "Unmanaged" not in plan.out
    assert HAND_PASSWORD not in plan.text
    assert len(hand_made.deployments()) == 2  # nothing was redeployed


def test_export_of_given_projects_only(cli, hand_made, tmp_path):
    out = tmp_path / "only"
    assert cli("export", "--out", str(out), "--project", "Live/Pairs").code == 0
    assert [p.name for p in out.iterdir()] == ["live-pairs.yaml"]
    assert "no such project" in cli("export", "--out", str(out), "--project", "Nope").err


def test_export_adopt_then_edit_one_file_replaces_only_that_one(cli, sandbox, tmp_path, monkeypatch):
    """A fleet started by hand (IB with settings, a data provider, parameters) -> export --adopt -> "No changes"
    -> one exported file edited -> only that deployment is replaced, and its create is accepted."""
    ib = dict(HAND_IB)
    providers = {"InteractiveBrokersBrokerage": {**ib}, "QuantConnectBrokerage": {"id": "QuantConnectBrokerage"}}
    sandbox.admin(
        "deploy",
        projectId=P_PAIRS,
        nodeId=NODE3,
        settings={"brokerage": ib, "dataProviders": providers, "parameters": {"lookback": "30"}},
    )
    sandbox.admin("deploy", projectId=P_MEANREV, nodeId=NODE2, settings={"parameters": {"z": "1"}})
    assert [d["brokerage"] for d in sandbox.deployments()] == ["InteractiveBrokersBrokerage", "QuantConnectBrokerage"]
    out = tmp_path / "fleet"
    monkeypatch.setenv("LIVE_PAIRS_IB_PASSWORD", HAND_PASSWORD)
    adopted = cli("export", "--out", str(out), "--adopt")
    assert adopted.code == 0, adopted.err
    pairs = (out / "live-pairs.yaml").read_text()
    assert (
        "InteractiveBrokersBrokerage:\n      id: InteractiveBrokersBrokerage" in pairs
    )  # the data feed kept, in order
    assert pairs.index("InteractiveBrokersBrokerage:\n") < pairs.index("QuantConnectBrokerage:\n")
    meanrev = (out / "live-meanreversion.yaml").read_text()
    assert "id: QuantConnectBrokerage" in meanrev and "PaperBrokerage" not in meanrev and "versionId" not in meanrev
    assert "No changes." in cli("plan", str(out)).out
    (out / "live-meanreversion.yaml").write_text(meanrev.replace("z: '1'", "z: '2'"))
    plan = cli("plan", str(out))
    assert "-/+ live-meanreversion" in plan.out and "live-pairs" not in plan.out.split("Plan:")[0]
    result = cli("apply", "--auto-approve", str(out))
    assert result.code == 0, result.text
    assert len(sandbox.deployments(P_PAIRS)) == 1
    assert [d["status"] for d in sandbox.deployments(P_MEANREV)] == ["Stopped", "Running"]
    assert sandbox.active(P_MEANREV)[0]["settings"]["parameters"] == {"z": "2"}
    assert sandbox.active(P_MEANREV)[0]["settings"]["versionId"] == "17000"  # the project's own LEAN version


def test_export_skips_managed_and_never_writes_a_secret_parameter(cli, sandbox, manifests, tmp_path):
    from tests.helpers import P_MOMENTUM, SECRET, manifest, write

    write(
        manifests, "m.yaml", manifest("momentum", P_MOMENTUM, parameters={"signal-key": "${env:IB_PASSWORD}", "n": 3})
    )
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    out = tmp_path / "exported"
    default = cli("export", "--out", str(out))
    assert default.code == 0 and "Exported 0 deployment(s)" in default.out  # momentum.yaml already manages it
    everything = cli("export", "--out", str(out), "--all")
    text = (out / "live-momentum.yaml").read_text()
    assert everything.code == 0 and "signal-key: ${env:IB_PASSWORD}" in text and "n: '3'" in text
    assert SECRET not in text + everything.text


def test_export_of_a_brokerage_it_cannot_name_writes_set_me_which_validate_refuses(cli, sandbox, tmp_path):
    from tests.helpers import NODE1, P_MOMENTUM

    sandbox.admin("deploy", projectId=P_MOMENTUM, nodeId=NODE1, settings={"brokerage": {"id": "FXCMBrokerage"}})
    out = tmp_path / "odd"
    assert cli("export", "--out", str(out)).code == 0
    text = (out / "live-momentum.yaml").read_text()
    assert "id: SET-ME" in text and "names no known module" in text and "FXCMBrokerage\n" not in text.split("spec:")[1]
    refused = cli("validate", str(out))
    assert refused.code == 1 and "'SET-ME' is not a known brokerage id" in refused.err


ODD_VALUES = {
    "template": "${HOME}/data/${symbol}",
    "dollars": "$5, $$ and $${ kept as written",
    "unclosed": "costs ${",
    "unicode": "αβγ – 日本語 🚀 ${x}",
    "long": ("a fairly long value, " * 400).strip() + " ${end}",
}


def test_export_round_trips_literal_dollar_braces_unicode_and_long_values(cli, sandbox, tmp_path, monkeypatch):
    """A parameter value holding `${` was exported as written: the literal became a secret reference (or a
    validate error) and the round trip broke. Export escapes it as `$${`; export then plan is "No changes"."""
    ib = {**HAND_IB, "ib-account": "U${9}"}
    sandbox.admin("deploy", projectId=P_PAIRS, nodeId=NODE3, settings={"brokerage": ib, "parameters": ODD_VALUES})
    out = tmp_path / "deployments"
    assert cli("export", "--out", str(out)).code == 0
    text = (out / "live-pairs.yaml").read_text()
    assert "$${HOME}/data/$${symbol}" in text and "ib-account: U$${9}" in text
    assert cli("validate", str(out)).code == 0
    monkeypatch.setenv("LIVE_PAIRS_IB_PASSWORD", HAND_PASSWORD)
    assert cli("adopt", str(out), "live-pairs").code == 0
    plan = cli("plan", "--detailed-exitcode", str(out))
    assert plan.code == 0 and "No changes." in plan.out, plan.text
    assert len(sandbox.deployments(P_PAIRS)) == 1
