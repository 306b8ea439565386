"""Files other tools read: the pre-commit hook definition, the example workflows, the published schemas."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from qcdeploy.manifests.schema import schema_text

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_hook_runs_validate():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "qcdeploy-validate" and hook["entry"] == "qcdeploy validate"
    assert hook["pass_filenames"] is False  # cross-file checks need every manifest


def test_example_workflows_serialise_applies_and_use_the_action_per_environment():
    apply = yaml.safe_load((ROOT / "examples/github-workflows/qcdeploy-apply.yml").read_text())
    assert apply["concurrency"] == {"group": "qcdeploy-apply", "cancel-in-progress": False}
    assert apply["jobs"]["apply"]["strategy"]["max-parallel"] == 1  # a promotion's source first
    for name in ("qcdeploy-plan.yml", "qcdeploy-apply.yml", "qcdeploy-drift.yml"):
        text = (ROOT / "examples/github-workflows" / name).read_text()
        doc = yaml.safe_load(text)
        assert "permissions:" in text
        assert 'QCDEPLOY_STATE: "git:"' in text  # a ledger that outlives the runner
        [leg] = [j for j in doc["jobs"].values() if "strategy" in j]
        assert leg["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.environments.outputs.list) }}"


def test_the_action_passes_inputs_through_env_and_pins_what_it_uses():
    """An input spliced into a shell line is script injection (an environment or path named `$(…)`)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step
        assert "run" not in step or step["shell"] == "bash"
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_packaged_schemas_are_identical_to_schemas_dir():
    for name in ("qcdeploy-v1.schema.json", "qcdeploy-environment-v1.schema.json", "plan-v1.schema.json"):
        assert (ROOT / "schemas" / name).read_text() == schema_text(name)
