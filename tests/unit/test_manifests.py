"""Manifest reading, without files: ${env:NAME} references and what a null value is called."""

from __future__ import annotations

from qcdeploy.manifests import schema
from qcdeploy.manifests.envref import substitute
from qcdeploy.manifests.yamlsrc import read_documents


def test_env_substitution():
    sub = substitute("u-${env:A}-${env:B}-$${env:A}", {"A": "x"})
    assert sub.value == "u-x--${env:A}"
    assert sub.names == ["A", "B"] and sub.missing == ["B"] and sub.sensitive
    assert not substitute("plain $${x}", {}).sensitive
    assert substitute("${oops}", {}).invalid == ["${oops}"]


def test_null_value_is_named_plainly():
    [doc] = read_documents(
        "m.yaml",
        "apiVersion: qcdeploy/v1\nkind: LiveDeployment\nmetadata: {name: a}\nspec:\n  project: 1\n  node:\n  brokerage: {id: QuantConnectBrokerage}\n",
    )
    messages = [p.message for p in schema.check(doc)]
    assert "spec.node: a value is needed here (string), not null (an empty value in YAML)" in messages
