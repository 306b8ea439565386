"""A flaky state service never costs a ledger entry: a read that did not see the ledger (404, 500, an empty body,
an older serial) is never the base of a write, in the middle of an apply or at its start."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import P_MEANREV, P_MOMENTUM, P_PAIRS, manifest, write
from tests.tfstate_server import TfState

pytestmark = pytest.mark.usefixtures("env")


@pytest.fixture
def service(cli, sandbox, manifests, monkeypatch):
    """A state service holding a ledger of two deployments, each recorded by its own write."""
    server = TfState()
    monkeypatch.setenv("QCDEPLOY_STATE", server.url)
    write(manifests, "momentum.yaml", manifest("momentum", P_MOMENTUM))
    write(manifests, "meanrev.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert len(server.history) >= 2 and set(stored(server)) == {"momentum", "meanrev"}
    yield server
    server.stop()


def stored(server: TfState) -> dict[str, Any]:
    deployments: dict[str, Any] = json.loads(server.state or b"{}")["deployments"]
    return deployments


@pytest.mark.parametrize("fault", ["404", "500", "empty", "older"])
def test_a_glitch_under_a_write_mid_apply_costs_no_entry(cli, sandbox, manifests, service, fault):
    before = stored(service)
    write(manifests, "pairs.yaml", manifest("pairs", P_PAIRS, node="live-node-3"))
    # the apply's own read of the ledger, the read under the journal's write before the create, then the read
    # under the write that records the new deployment
    service.glitches = ["ok", "ok", fault]
    result = cli("apply", "--auto-approve", str(manifests))
    assert service.glitches == [], "the fault was not reached"
    assert result.code == 1, result.text
    assert {k: v for k, v in stored(service).items() if k in before} == before  # every entry survives
    [pairs] = sandbox.active(P_PAIRS)
    assert (
        f"DEPLOYED {pairs['deployId']}, BUT IT IS NOT RECORDED" in result.out and "qcdeploy adopt pairs" in result.out
    )
    if fault == "500":
        assert "refused to read the ledger: HTTP 500" in result.text
    else:
        assert "nothing was written" in result.text
    plan = cli("plan", str(manifests))  # the way back: the journal knows it is ours; never a second deployment
    assert plan.code == 0 and plan.out.startswith("INTERRUPTED pairs:") and f"record {pairs['deployId']}" in plan.out
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert set(stored(service)) == {"momentum", "meanrev", "pairs"}
    assert "No changes." in cli("plan", str(manifests)).out and len(sandbox.deployments(P_PAIRS)) == 1


def test_a_glitch_under_the_journal_write_before_a_create_deploys_nothing(cli, sandbox, manifests, service):
    before = stored(service)
    write(manifests, "pairs.yaml", manifest("pairs", P_PAIRS, node="live-node-3"))
    service.glitches = ["ok", "older"]  # the read under the journal's write before the create
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "cannot write the journal before the create" in result.out, result.text
    assert {k: v for k, v in stored(service).items() if k in before} == before
    assert sandbox.deployments(P_PAIRS) == []


@pytest.mark.parametrize("fault", ["404", "empty", "older"])
def test_a_glitch_at_the_start_of_a_run_is_refused_where_the_ledger_was_read_before(
    cli, sandbox, manifests, service, fault
):
    """This checkout read the ledger before: a run whose first read says "none" (or an older serial) stops before
    it plans, deploys or writes anything."""
    before = service.state
    write(manifests, "pairs.yaml", manifest("pairs", P_PAIRS, node="live-node-3"))
    service.glitches = [fault]
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "this checkout last read" in result.err, result.text
    assert "Nothing was planned or written" in result.err and "lineage-memory.json). Nothing was planned" in result.err
    assert sandbox.active(P_PAIRS) == [] and service.state == before


def test_a_new_location_still_takes_its_first_ledger(cli, sandbox, manifests, monkeypatch):
    """A location that never held a ledger is not an error: the first write creates it, with a lineage."""
    server = TfState()
    try:
        monkeypatch.setenv("QCDEPLOY_STATE", server.url)
        write(manifests, "momentum.yaml", manifest("momentum", P_MOMENTUM))
        assert cli("apply", "--auto-approve", str(manifests)).code == 0
        doc = json.loads(server.state or b"{}")
        assert set(doc["deployments"]) == {"momentum"} and len(doc["lineage"]) == 36
    finally:
        server.stop()


def test_a_file_ledger_removed_mid_run_is_not_rewritten(cli, sandbox, manifests, ledger_path, monkeypatch):
    """The same rule for the file backend: the ledger file gone between the run's read and its write."""
    from qcdeploy.ledger.backends.file import FileBackend

    write(manifests, "momentum.yaml", manifest("momentum", P_MOMENTUM))
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    write(manifests, "meanrev.yaml", manifest("meanrev", P_MEANREV, node="live-node-2"))
    reads = []
    real_read = FileBackend.read

    def vanishing(self):
        reads.append(1)
        return None if len(reads) == 2 else real_read(self)

    monkeypatch.setattr(FileBackend, "read", vanishing)
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "answered that there is none" in result.text
    assert set(json.loads(ledger_path.read_text())["deployments"]) == {"momentum"}
