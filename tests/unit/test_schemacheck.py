"""The compiled pre-check and jsonschema agree on every manifest of the test tables: a document the
pre-check passes must have no schema problem, or large fleets would skip real errors."""

from __future__ import annotations

from pathlib import Path

from qcdeploy.manifests import schema
from qcdeploy.manifests.yamlsrc import read_documents
from tests.integration.test_broken_manifests import CASES

ROOT = Path(__file__).resolve().parents[2]


def documents():
    for name, text, _ in CASES:
        yield from ((name, d) for d in read_documents(f"{name}.yaml", text) if d.value is not None)
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        yield from ((path.name, d) for d in read_documents(str(path), path.read_text()) if d.value is not None)


def test_fast_precheck_agrees_with_jsonschema():
    checked = 0
    for name, doc in documents():
        kind = (
            schema.ENVIRONMENT_SCHEMA
            if isinstance(doc.value, dict) and doc.value.get("kind") == "Environment"
            else schema.SCHEMA_FILE
        )
        full = schema.located(doc, kind)
        assert schema._fast(kind)(doc.value) == (not full), (name, full)
        assert schema.check(doc, kind) == full, name
        checked += 1
    assert checked >= 40


def test_the_generated_prechecks_are_of_the_shipped_schemas():
    """Stale generated code would still be correct (the schema is compiled at run time instead) but slow:
    regenerate with `python -m qcdeploy.manifests.schemacheck`."""
    from qcdeploy.manifests import schemacheck
    from qcdeploy.manifests.schemacheck import _environment, _manifest

    assert schemacheck.digest(schema.schema_text(schema.SCHEMA_FILE)) == _manifest.SCHEMA_SHA256
    assert schemacheck.digest(schema.schema_text(schema.ENVIRONMENT_SCHEMA)) == _environment.SCHEMA_SHA256


def test_an_edited_schema_is_compiled_at_run_time_not_checked_by_stale_code():
    from qcdeploy.manifests.schemacheck import validator

    text = schema.schema_text(schema.SCHEMA_FILE).replace('"maxLength": 63', '"maxLength": 3', 1)
    assert text != schema.schema_text(schema.SCHEMA_FILE)
    name = "x" * 10
    doc = {
        "apiVersion": "qcdeploy/v1",
        "kind": "LiveDeployment",
        "metadata": {"name": name},
        "spec": {"project": 1, "node": "n", "brokerage": {"id": "QuantConnectBrokerage"}},
    }
    validator(schema.SCHEMA_FILE, schema.schema_text(schema.SCHEMA_FILE))(doc)  # passes as shipped
    import fastjsonschema
    import pytest

    with pytest.raises(fastjsonschema.JsonSchemaException):
        validator(schema.SCHEMA_FILE, text)(doc)
