"""The LEAN version policy: a pinned versionId must exist (a file:line error at plan time), `latest` resolves to
the newest non-master release and is recorded, so a new release is a visible replace."""

from __future__ import annotations

import pytest

from tests.helpers import P_MOMENTUM, manifest, write

pytestmark = pytest.mark.usefixtures("env")


def alpha(manifests, version):
    return write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM, versionId=version))


def sent_version(sandbox):
    (active,) = sandbox.active(P_MOMENTUM)
    return str(active["settings"]["versionId"])


def test_an_unknown_pinned_version_is_a_file_line_error_and_nothing_is_deployed(cli, sandbox, manifests):
    path = alpha(manifests, 99999)
    result = cli("apply", "--auto-approve", str(manifests))
    assert result.code == 1 and "Traceback" not in result.text
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "versionId" in text)
    assert f"alpha.yaml:{line}:" in result.err and "spec.versionId: no LEAN version '99999'" in result.err
    assert "the newest release is 17000 (v2.5.17000" in result.err
    assert sandbox.deployments(P_MOMENTUM) == []


def test_a_pinned_version_shows_its_name_and_date(cli, sandbox, manifests):
    alpha(manifests, 17000)
    result = cli("plan", str(manifests))
    assert result.code == 0, result.text
    assert "LEAN version: 17000 (v2.5.17000, 2025-10-" in result.out


def test_latest_resolves_to_the_newest_release_and_a_new_release_is_a_replace(cli, sandbox, manifests):
    sandbox.admin("lean-version", id=99999, name="master")  # a master build is never "latest"
    alpha(manifests, "latest")
    assert "LEAN version: latest: 17000 (v2.5.17000, 2025-10-" in cli("plan", str(manifests)).out
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert sent_version(sandbox) == "17000"
    assert "No changes." in cli("plan", str(manifests)).out
    sandbox.admin("lean-version", id=17100, name="v2.5.17100", created="2026-11-30T08:00:00Z")
    planned = cli("plan", str(manifests))
    assert '~ versionId: "17000" -> "17100"' in planned.out, planned.out
    assert "LEAN version: latest: 17100 (v2.5.17100, 2026-11-30)" in planned.out
    assert "-/+" in planned.out
    assert cli("apply", "--auto-approve", str(manifests)).code == 0
    assert sent_version(sandbox) == "17100"
    assert "No changes." in cli("plan", str(manifests)).out


def test_the_project_default_costs_no_extra_call(cli, sandbox, manifests):
    write(manifests, "alpha.yaml", manifest("alpha", P_MOMENTUM))
    assert cli("plan", str(manifests)).code == 0
    assert "lean/versions/read" not in sandbox.calls()
