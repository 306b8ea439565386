"""A saved plan made without secrets (a pull request's job has none) says which it could not compare; applied
with those secrets set, one that differs from the ledger's is named and refused unless accepted by name."""

from __future__ import annotations

import json

import pytest

from tests.helpers import P_MEANREV, SECRET, ib_brokerage, manifest, write

pytestmark = pytest.mark.usefixtures("env")
ROTATED = "rotated-IB-Secret-55c1d0"
NOT_REVIEWED = "meanrev: brokerage.ib-password changed since the plan was reviewed: not reviewed"


def meanrev(manifests, fast: int) -> None:
    ib = manifest("meanrev", P_MEANREV, node="live-node-2", brokerage=ib_brokerage(), parameters={"fast": fast})
    write(manifests, "a.yaml", ib)


def plan_without_secrets(cli, manifests, tmp_path, monkeypatch):
    """Deployed with SECRET; a parameter changed; planned where IB_PASSWORD is not set."""
    meanrev(manifests, 10)
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    meanrev(manifests, 20)
    monkeypatch.delenv("IB_PASSWORD")
    out = tmp_path / "plan.json"
    planned = cli("plan", "--out", str(out), str(manifests))
    assert planned.code == 0 and "cannot tell whether it changed" in planned.out, planned
    [fingerprint] = json.loads(out.read_text())["fingerprints"]
    assert fingerprint["unset"] == [["brokerage", "ib-password"]]  # what the reviewer could not be shown
    return out


def test_a_secret_changed_since_a_plan_made_without_it_is_refused(cli, sandbox, manifests, tmp_path, monkeypatch):
    out = plan_without_secrets(cli, manifests, tmp_path, monkeypatch)
    [before] = sandbox.active(P_MEANREV)
    monkeypatch.setenv("IB_PASSWORD", ROTATED)
    refused = cli("apply", str(out))
    assert refused.code == 1 and NOT_REVIEWED in refused.err and "--accept-unreviewed-secrets" in refused.err
    assert [d["deployId"] for d in sandbox.active(P_MEANREV)] == [before["deployId"]]  # nothing was changed

    accepted = cli("apply", "--accept-unreviewed-secrets", str(out))
    assert accepted.code == 0 and NOT_REVIEWED in accepted.out + accepted.err, accepted
    [after] = sandbox.active(P_MEANREV)
    assert after["deployId"] != before["deployId"]
    assert ROTATED not in refused.out + refused.err + accepted.out + accepted.err


def test_the_same_secret_applies_as_planned(cli, sandbox, manifests, tmp_path, monkeypatch):
    out = plan_without_secrets(cli, manifests, tmp_path, monkeypatch)
    monkeypatch.setenv("IB_PASSWORD", SECRET)
    applied = cli("apply", str(out))
    assert applied.code == 0 and "not reviewed" not in applied.out + applied.err, applied
