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


def test_values_are_counted_per_document_before_nodes_are_built():
    """Two documents of 60,000 values each pass the count (the limit is per document); one of 120,000 is refused
    where the 100,001st value stands."""
    half = "[" + ",".join(["1"] * 60_000) + "]\n"
    assert [d.problems for d in read_documents("f.yaml", half + "---\n" + half)] == [[], []]
    [refused] = read_documents("f.yaml", "x: [" + ",".join(["1"] * 120_000) + "]\n")
    [problem] = refused.problems
    assert problem.message == "the document holds more than 100000 values (far too large)"
    # the mapping, x and the list are 3 values: item 99,998 (at column 3 + 2 * 99,998) is the 100,001st
    assert problem.location is not None and (problem.location.line, problem.location.col) == (1, 3 + 2 * 99_998)
