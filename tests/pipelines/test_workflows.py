"""The GitHub workflows and Azure pipelines: linted, schema-valid, pinned, least privilege."""
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_rules import load, needed_permissions, permission_problems, unpinned_uses

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
AZURE_PIPELINES = sorted((REPO_ROOT / "azure-pipelines").rglob("*.yml"))
TOOLS = Path(sys.executable).parent  # actionlint and check-jsonschema come with requirements-dev.txt


def run_tool(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(TOOLS / argv[0]), *argv[1:]], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_the_three_pipelines_exist_for_both_systems():
    names = {"infra-pr.yml", "deploy.yml", "images.yml"}
    assert names <= {path.name for path in WORKFLOWS}
    assert names <= {path.name for path in AZURE_PIPELINES}


def test_actionlint_passes():
    result = run_tool("actionlint", "-no-color", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_match_the_github_workflow_schema():
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_azure_pipelines_match_the_azure_pipelines_schema():
    # The vendored schema has patterns the default regex engine rejects; Python's accepts them.
    result = run_tool("check-jsonschema", "--regex-variant", "python", "--builtin-schema", "vendor.azure-pipelines",
                      *map(str, AZURE_PIPELINES))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit(workflow: Path):
    assert unpinned_uses(workflow.read_text()) == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_job_has_only_the_permissions_it_needs(workflow: Path):
    assert permission_problems(load(workflow), WORKFLOW_DIR) == []


def test_only_jobs_that_reach_aws_get_an_oidc_token():
    with_oidc = {
        (path.name, name)
        for path in WORKFLOWS
        for name, job in load(path)["jobs"].items()
        if job.get("permissions", {}).get("id-token") == "write"
    }
    assert with_oidc == {
        ("infra-pr.yml", "preview"), ("deploy.yml", "dev"), ("deploy.yml", "prod"),
        ("deploy-stack.yml", "up"), ("images.yml", "build"), ("images-promote.yml", "promote"),
        ("images-rescan.yml", "rescan"),
    }


def test_prod_deploys_after_dev_in_the_prod_environment():
    deploy = load(WORKFLOW_DIR / "deploy.yml")["jobs"]
    assert deploy["prod"]["needs"] == "dev" and deploy["prod"]["with"]["stack"] == "prod"
    up = load(WORKFLOW_DIR / "deploy-stack.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    runs = [step.get("run", "") for step in up["steps"]]
    up_index = next(i for i, run in enumerate(runs) if run.lstrip().startswith("pulumi up"))
    assert "--policy-pack policies" in runs[up_index]
    # After the deploy, the live account is read back under the pack's rule names.
    assert any("python -m preflight verify --stack \"$STACK\"" in run for run in runs[up_index + 1:])


def test_images_are_built_for_every_app_service():
    matrix = set(load(WORKFLOW_DIR / "images.yml")["jobs"]["build"]["strategy"]["matrix"]["service"])
    assert matrix == {"frontend", "backend", "db-backup"}
    assert {path.parent.name for path in (REPO_ROOT / "app").glob("*/Dockerfile")} <= matrix


# The rules themselves, on workflows made to break them.

def test_unpinned_and_uncommented_uses_are_reported():
    text = (
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065\n"
        "      - uses: ./.github/actions/local\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
    )
    assert unpinned_uses(text) == [
        "actions/checkout@v4: not pinned to a 40-hex commit SHA",
        "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065: no `# vX.Y.Z` comment naming the release",
    ]


CHECKOUT = {"uses": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"}
AWS = {"uses": "aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df"}


@pytest.mark.parametrize("workflow, expected", [
    ({"jobs": {"a": {"permissions": {"contents": "read"}, "steps": [CHECKOUT]}}}, "no top-level permissions"),
    ({"permissions": "write-all", "jobs": {}}, "not empty or read-only"),
    ({"permissions": {"contents": "write"}, "jobs": {}}, "not empty or read-only"),
    ({"permissions": {}, "jobs": {"a": {"steps": [CHECKOUT]}}}, "not an explicit list"),
    ({"permissions": {}, "jobs": {"a": {"permissions": {"contents": "read", "id-token": "write"}, "steps": [CHECKOUT]}}},
     "its steps need {'contents': 'read'}"),
    ({"permissions": {}, "jobs": {"a": {"permissions": {"contents": "write"}, "steps": [CHECKOUT]}}},
     "its steps need {'contents': 'read'}"),
    ({"permissions": {}, "jobs": {"a": {"permissions": {"contents": "read"}, "steps": [CHECKOUT, AWS]}}},
     "'id-token': 'write'"),
])
def test_permission_problems_are_reported(workflow: dict, expected: str):
    assert any(expected in problem for problem in permission_problems(workflow, WORKFLOW_DIR))


def test_a_job_calling_a_reusable_workflow_needs_what_that_workflow_needs():
    job = {"uses": "./.github/workflows/deploy-stack.yml"}
    assert needed_permissions(job, WORKFLOW_DIR) == {"contents": "read", "id-token": "write"}
