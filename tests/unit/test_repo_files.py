"""Files other tools read: the pre-commit hook definition, the example workflows, the published schemas."""

from __future__ import annotations

from pathlib import Path

import yaml

from qcdeploy.manifests.schema import schema_text

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_runs_validate():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "qcdeploy-validate" and hook["entry"] == "qcdeploy validate"
    assert hook["pass_filenames"] is False  # cross-file checks need every manifest


def test_example_workflows_serialise_applies_and_use_the_markdown_plan():
    apply = yaml.safe_load((ROOT / "examples/github-workflows/qcdeploy-apply.yml").read_text())
    assert apply["concurrency"] == {"group": "qcdeploy-apply", "cancel-in-progress": False}
    plan = (ROOT / "examples/github-workflows/qcdeploy-plan.yml").read_text()
    assert "--format markdown" in plan and "<!-- qcdeploy-plan -->" in plan and "upload-artifact" in plan
    for text in (plan, (ROOT / "examples/github-workflows/qcdeploy-apply.yml").read_text()):
        assert "permissions:" in text
        assert 'QCDEPLOY_STATE: "git:"' in text  # a ledger that outlives the runner


def test_packaged_schemas_are_identical_to_schemas_dir():
    for name in ("qcdeploy-v1.schema.json", "qcdeploy-environment-v1.schema.json", "plan-v1.schema.json"):
        assert (ROOT / "schemas" / name).read_text() == schema_text(name)
