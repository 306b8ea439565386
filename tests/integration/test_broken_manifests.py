"""A table of broken manifests, each with the message (and place) `validate` must give."""

from __future__ import annotations

import pytest

GOOD = """\
apiVersion: qcdeploy/v1
kind: LiveDeployment
metadata:
  name: momentum
spec:
  project: 23456789
  node: live-node-1
  brokerage:
    id: QuantConnectBrokerage
"""

IB = """\
apiVersion: qcdeploy/v1
kind: LiveDeployment
metadata:
  name: ib
spec:
  project: 23456790
  node: live-node-2
  brokerage:
    id: InteractiveBrokersBrokerage
    ib-user-name: trader1
    ib-account: DU1
    ib-password: ${env:IB_PASSWORD}
    ib-weekly-restart-utc-time: "22:00:00"
"""


def swap(old: str, new: str, base: str = GOOD) -> str:
    assert old in base
    return base.replace(old, new)


# (id, file text, expected "line:col: message" fragment)
CASES = [
    ("yaml-syntax", "apiVersion: qcdeploy/v1\nkind: [LiveDeployment\n", ":3:1: invalid YAML"),
    ("yaml-tab", swap("  name: momentum", "\tname: momentum"), ":4:1: invalid YAML"),
    (
        "duplicate-key",
        swap("  node: live-node-1", "  node: live-node-1\n  node: live-node-2"),
        ":8:3: duplicate key 'node' (first written at line 7)",
    ),
    ("not-a-mapping", "- just\n- a list\n", ":1:1: a manifest must be a mapping"),
    (
        "wrong-apiversion",
        swap("qcdeploy/v1", "qcdeploy/v2"),
        ":1:1: apiVersion: must be 'qcdeploy/v1', not 'qcdeploy/v2'",
    ),
    (
        "wrong-kind",
        swap("kind: LiveDeployment", "kind: Deployment"),
        ":2:1: kind: must be 'LiveDeployment' or 'Environment', not 'Deployment'; did you mean 'LiveDeployment'?",
    ),
    (
        "missing-metadata",
        swap("metadata:\n  name: momentum\n", ""),
        ":1:1: (document): 'metadata' is a required property",
    ),
    ("missing-name", swap("  name: momentum\n", "  labels: {a: b}\n"), ":3:1: metadata: 'name' is a required property"),
    ("uppercase-name", swap("name: momentum", "name: Momentum"), ":4:3: metadata.name: 'Momentum' is not a valid name"),
    ("long-name", swap("name: momentum", "name: " + "a" * 64), ":4:3: metadata.name: '" + "a" * 64 + "' is too long"),
    (
        "name-trailing-dash",
        swap("name: momentum", "name: momentum-"),
        ":4:3: metadata.name: 'momentum-' is not a valid name",
    ),
    (
        "label-not-string",
        swap("  name: momentum", "  name: momentum\n  labels: {team: 3}"),
        ":5:12: metadata.labels.team: must be a string; YAML read the unquoted value as the number 3: quote it",
    ),
    (
        "unknown-metadata-key",
        swap("  name: momentum", "  name: momentum\n  annotations: {}"),
        ":5:3: metadata.annotations: unknown key 'annotations'",
    ),
    (
        "unknown-spec-key",
        swap("  node: live-node-1", "  nodee: live-node-1\n  node: live-node-1"),
        ":7:3: spec.nodee: unknown key 'nodee' (did you mean 'node'?)",
    ),
    (
        "unknown-spec-key-far-from-any",
        swap("  node: live-node-1", "  zzz: 1\n  node: live-node-1"),
        ":7:3: spec.zzz: unknown key 'zzz' (allowed:",
    ),
    ("missing-project", swap("  project: 23456789\n", ""), ":5:1: spec: 'project' is a required property"),
    ("missing-node", swap("  node: live-node-1\n", ""), ":5:1: spec: 'node' is a required property"),
    (
        "missing-brokerage",
        swap("  brokerage:\n    id: QuantConnectBrokerage\n", ""),
        ":5:1: spec: 'brokerage' is a required property",
    ),
    (
        "brokerage-without-id",
        swap("    id: QuantConnectBrokerage", "    cash: []"),
        ":8:3: spec.brokerage: 'id' is a required property",
    ),
    ("project-negative", swap("project: 23456789", "project: -5"), ":6:3: spec.project: -5 is not a project id"),
    ("project-list", swap("project: 23456789", "project: [1]"), ":6:3: spec.project: [1] is not a project id"),
    (
        "bad-compile",
        swap("  node: live-node-1", "  node: live-node-1\n  compile: newest"),
        ":8:3: spec.compile: 'newest' does not match",
    ),
    (
        "bad-state",
        swap("  node: live-node-1", "  node: live-node-1\n  state: paused"),
        ":8:3: spec.state: 'paused' is not one of 'running', 'stopped'",
    ),
    (
        "bad-onstop",
        swap("  node: live-node-1", "  node: live-node-1\n  onStop: sell"),
        ":8:3: spec.onStop: 'sell' is not one of 'stop', 'liquidate'",
    ),
    (
        "protect-not-bool",
        swap("  node: live-node-1", "  node: live-node-1\n  protect: maybe"),
        ":8:3: spec.protect: 'maybe' is not of type 'boolean'",
    ),
    (
        "parameters-not-object",
        swap("  node: live-node-1", "  node: live-node-1\n  parameters: [1, 2]"),
        ":8:3: spec.parameters: [1, 2] is not of type 'object'",
    ),
    (
        "parameter-nested",
        swap("  node: live-node-1", "  node: live-node-1\n  parameters: {a: {b: 1}}"),
        ":8:16: spec.parameters.a: {'b': 1} is not of type 'string', 'number', 'boolean'",
    ),
    (
        "data-provider-without-id",
        swap("  node: live-node-1", "  node: live-node-1\n  dataProviders: {Polygon: {polygon-api-key: x}}"),
        ":8:19: spec.dataProviders.Polygon: 'id' is a required property",
    ),
    (
        "empty-data-providers",
        swap("  node: live-node-1", "  node: live-node-1\n  dataProviders: {}"),
        ":8:3: spec.dataProviders: {} should be non-empty",
    ),
    (
        "notification-bad-event",
        swap("  node: live-node-1", "  node: live-node-1\n  notification: {events: [fills]}"),
        ":8:27: spec.notification.events[0]: 'fills' is not one of 'orderEvent', 'insight'",
    ),
    (
        "notification-bad-target",
        swap("  node: live-node-1", "  node: live-node-1\n  notification:\n    targets: [{subject: x}]"),
        ":9:15: spec.notification.targets[0]: a notification target needs",
    ),
    (
        "ib-missing-restart-time",
        swap('    ib-weekly-restart-utc-time: "22:00:00"\n', "", IB),
        ":8:3: spec.brokerage: 'ib-weekly-restart-utc-time' is a required property",
    ),
    (
        "ib-bad-restart-time",
        swap('"22:00:00"', '"10pm"', IB),
        ":13:5: spec.brokerage.ib-weekly-restart-utc-time: '10pm' does not match",
    ),
    # an unset secret is no validate error (read-only commands need none; apply refuses): see test_newcomer
    (
        "float-project",
        swap("project: 23456790", "project: 23456790.0", IB),
        ":6:3: spec.project: 23456790.0 is not a project id",
    ),
    (
        "bad-reference",
        swap("${env:IB_PASSWORD}", "${IB_PASSWORD}", IB),
        ":12:5: spec.brokerage.ib-password: unsupported reference ${IB_PASSWORD}",
    ),
    (
        "reference-in-node",
        swap("node: live-node-1", "node: ${env:NODE}"),
        ":7:3: spec.node: ${...} references are only allowed in",
    ),
    (
        "version-not-number",
        swap("  node: live-node-1", "  node: live-node-1\n  versionId: master"),
        ":8:3: spec.versionId: 'master' does not match",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_manifest_message(cli, tmp_path, monkeypatch, text, expected):
    monkeypatch.delenv("IB_PASSWORD", raising=False)
    path = tmp_path / "deploy.yaml"
    path.write_text(text)
    result = cli("validate", str(path))
    assert result.code == 1
    assert f"{path}{expected}" in result.err, result.err
    assert "Traceback" not in result.text
    assert result.err.rstrip().endswith("problem(s) found.")


def test_table_has_at_least_25_cases():
    assert len(CASES) >= 25


def test_good_manifest_is_valid(cli, tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    result = cli("validate", str(tmp_path))
    assert result.code == 0
    assert "1 manifest(s) in 1 file(s) are valid." in result.out


def test_every_problem_is_reported_not_just_the_first(cli, tmp_path):
    (tmp_path / "a.yaml").write_text(swap("  node: live-node-1", "  node: live-node-1\n  state: x\n  onStop: y"))
    (tmp_path / "b.yaml").write_text(swap("kind: LiveDeployment", "kind: Nope"))
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert "spec.state" in result.err and "spec.onStop" in result.err and "kind:" in result.err
    assert "3 problem(s) found." in result.err


def test_duplicate_names_name_both_places(cli, tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(swap("23456789", "23456790", swap("live-node-1", "live-node-2")))
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert (
        f"{tmp_path}/b.yaml:4:3: metadata.name: name 'momentum' is also used by 'momentum' at {tmp_path}/a.yaml:4:3"
        in result.err
    )


def test_two_manifests_for_one_project(cli, tmp_path):
    (tmp_path / "a.yaml").write_text(
        GOOD + "---\n" + swap("name: momentum", "name: other", swap("live-node-1", "live-node-2"))
    )
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert (
        f"a.yaml:16:3: spec.project: project 23456789 is also used by 'momentum' at {tmp_path}/a.yaml:6:3" in result.err
    )


def test_two_running_manifests_on_one_node(cli, tmp_path):
    (tmp_path / "a.yaml").write_text(
        GOOD + "---\n" + swap("name: momentum", "name: other", swap("23456789", "23456790"))
    )
    result = cli("validate", str(tmp_path))
    assert result.code == 1
    assert "spec.node: node 'live-node-1' is also used by 'momentum'" in result.err


def test_missing_path(cli, tmp_path):
    result = cli("validate", str(tmp_path / "nope"))
    assert result.code == 1
    assert "nope: no such file or directory" in result.err


def test_literal_dollar_brace_is_not_a_secret(cli, tmp_path, monkeypatch):
    text = swap("  node: live-node-1", '  node: live-node-1\n  parameters: {template: "$${HOME}"}')
    (tmp_path / "a.yaml").write_text(text)
    assert cli("validate", str(tmp_path)).code == 0


def test_hidden_directories_are_skipped(cli, tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("on: push\n")
    assert cli("validate", str(tmp_path)).code == 0


def test_multi_document_file(cli, tmp_path):
    text = (
        GOOD + "---\n" + swap("name: momentum", "name: two", swap("23456789", "2", swap("live-node-1", "n2"))) + "---\n"
    )
    (tmp_path / "all.yaml").write_text(text)
    result = cli("validate", str(tmp_path))
    assert result.code == 0
    assert "2 manifest(s) in 1 file(s)" in result.out


ZERODHA = swap(
    "    id: QuantConnectBrokerage\n",
    "    id: ZerodhaBrokerage\n    zerodha-api-key: key\n    zerodha-access-token: ${env:ZERODHA_TOKEN}\n"
    "    zerodha-product-type: MIS\n    zerodha-trading-segment: EQUITY\n",
)


@pytest.mark.parametrize(
    "text",
    [
        ZERODHA,
        swap("    id: QuantConnectBrokerage\n", "    id: EzeBrokerage\n"),
        swap(
            "    id: QuantConnectBrokerage\n",
            "    id: QuantConnectBrokerage\n  dataProviders:\n    CoinApi: {id: CoinApi, coinapi-api-key: k}\n",
        ),
    ],
    ids=["zerodha", "eze", "coinapi-provider"],
)
def test_modules_the_lean_cli_deploys_validate(cli, tmp_path, monkeypatch, text):
    """Zerodha, Samco, Eze, dYdX and the data providers lean-cli offers are in the catalogue (issue 24 item 5)."""
    monkeypatch.setenv("ZERODHA_TOKEN", "token")
    (tmp_path / "m.yaml").write_text(text)
    result = cli("validate", str(tmp_path))
    assert result.code == 0, result.text


def test_a_lean_cli_module_missing_a_key_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ZERODHA_TOKEN", "token")
    (tmp_path / "m.yaml").write_text(ZERODHA.replace("    zerodha-trading-segment: EQUITY\n", ""))
    result = cli("validate", str(tmp_path))
    assert result.code == 1 and "'zerodha-trading-segment' is a required property" in result.err


def test_guessed_alpaca_keys_and_environments_are_named(cli, tmp_path):
    path = tmp_path / "alpaca.yaml"
    path.write_text(
        "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: alp}\nspec:\n  project: 1\n  node: n\n"
        "  brokerage:\n    id: AlpacaBrokerage\n    alpaca-api-key: x\n    alpaca-api-secret: y\n"
        "    alpaca-environment: sandbox\n"
    )
    result = cli("validate", str(path))
    assert result.code == 1 and "4 problem(s) found." in result.err, result.err
    for expected in (
        ":9:5: spec.brokerage.alpaca-api-key: unknown key 'alpaca-api-key': AlpacaBrokerage takes alpaca-access-token, alpaca-environment",
        ":10:5: spec.brokerage.alpaca-api-secret: unknown key",
        ":11:5: spec.brokerage.alpaca-environment: 'sandbox' is not one of 'live', 'paper'",
        ":7:3: spec.brokerage: 'alpaca-access-token' is a required property",
    ):
        assert f"{path}{expected}" in result.err, expected


def test_a_well_formed_alpaca_brokerage_validates(cli, tmp_path):
    path = tmp_path / "alpaca.yaml"
    path.write_text(
        "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: alp}\nspec:\n  project: 1\n  node: n\n"
        "  brokerage:\n    id: AlpacaBrokerage\n    alpaca-access-token: t\n    alpaca-environment: paper\n"
    )
    result = cli("validate", str(path))
    assert result.code == 0, result.err
