"""`qcdeploy doctor`: read-only checks of the account against the manifests."""

from __future__ import annotations

import pytest

from tests.helpers import P_MOMENTUM, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def test_doctor_reports_every_check_and_changes_nothing(cli, sandbox, manifests, monkeypatch):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, parameters={"fast": 10}))
    write(manifests, "b.yaml", manifest("meanrev", "Live/MeanReversion", node="live-node-2", brokerage=ib_brokerage()))
    monkeypatch.delenv("IB_PASSWORD")
    result = cli("doctor", str(manifests))
    assert result.code == 0, result.text
    out = result.out
    for subject in ("credentials", "api round trip", "clock", "organization", "manifest momentum", "live nodes"):
        assert f"\n{subject}" in "\n" + out, subject
    assert "project parameters differ from the manifest: fast" in out
    assert "not set here: IB_PASSWORD (apply needs them)" in out
    assert "LEAN 17000" in out and "3 of 3 free" in out
    assert "Everything checked is ready." in out
    assert not any(n in sandbox.calls() for n in ("compile/create", "live/create", "projects/update"))


def test_doctor_fails_on_bad_credentials_and_unknown_nodes(cli, sandbox, manifests, monkeypatch):
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, node="node-9"))
    unknown = cli("doctor", str(manifests))
    assert unknown.code == 1 and "no live node 'node-9'" in unknown.out and "1 problem(s) found." in unknown.out
    monkeypatch.setenv("QC_API_TOKEN", "wrong")
    refused = cli("doctor", str(manifests))
    assert refused.code == 1 and "refused the credentials" in refused.out and "wrong" not in refused.text


def test_doctor_names_the_manifests_that_need_oauth_tokens(cli, sandbox, manifests, monkeypatch):
    monkeypatch.setenv("TS_REFRESH", "refresh-token-value")
    brokerage = {
        "id": "TradeStationBrokerage",
        "trade-station-client-id": "client",
        "trade-station-account-id": "SIM123",
        "trade-station-refresh-token": "${env:TS_REFRESH}",
        "trade-station-environment": "paper",
    }
    write(manifests, "a.yaml", manifest("momentum", P_MOMENTUM, brokerage=brokerage))
    write(manifests, "b.yaml", manifest("meanrev", "Live/MeanReversion", node="live-node-2"))
    result = cli("doctor", str(manifests))
    assert result.code == 0, result.text
    [ts] = [line for line in result.out.splitlines() if line.startswith("manifest momentum")]
    assert "TradeStationBrokerage logs in with OAuth" in ts and "live/auth0/read {brokerage: tradestation}" in ts
    assert "refresh-token-value" not in result.text
    [paper] = [line for line in result.out.splitlines() if line.startswith("manifest meanrev")]
    assert "OAuth" not in paper
