"""The compiled pre-check and jsonschema agree on every manifest of the test tables (issue 12): a document the
pre-check passes must have no schema problem, or large fleets would skip real errors."""

from __future__ import annotations

from pathlib import Path

from qcdeploy import schema
from qcdeploy.yamlsrc import read_documents
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
        full = schema.check(doc, kind)
        assert schema._fast(kind)(doc.value) == (not full), (name, full)
        assert schema.check(doc, kind, fast=True) == full, name
        checked += 1
    assert checked >= 40
