"""Supply-chain rules for GitHub workflows, as functions that list what is wrong.

- Every `uses:` of another repository is pinned to a full 40-hex commit SHA, with the release it
  stands for in a comment (so updates stay reviewable).
- Permissions: nothing at the top level (or read-only); each job declares exactly the scopes its
  steps need: `id-token: write` only where AWS is reached, `security-events: write` only to upload
  SARIF, `pull-requests: write` only to comment; `contents` never more than read.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>\s+#\s*v\d\S*)?\s*$")

# What each write scope is for, recognised from the job's steps.
AWS_ACTION = "aws-actions/configure-aws-credentials@"
SARIF_ACTION = "github/codeql-action/upload-sarif@"
PR_COMMENT_SCRIPT = "scripts/upsert_pr_comment.sh"


def load(path: Path) -> dict:
    # PyYAML reads the key `on` as True; workflows only need the jobs and permissions here.
    return yaml.safe_load(path.read_text())


def unpinned_uses(text: str) -> list[str]:
    problems = []
    for line in text.splitlines():
        match = USES_LINE.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        if not PINNED_USES.match(match["ref"]):
            problems.append(f"{match['ref']}: not pinned to a 40-hex commit SHA")
        elif not match["comment"]:
            problems.append(f"{match['ref']}: no `# vX.Y.Z` comment naming the release")
    return problems


def _called_workflow(job: dict, workflow_dir: Path) -> dict | None:
    uses = job.get("uses", "")
    return load(workflow_dir / Path(uses).name) if uses.startswith("./.github/workflows/") else None


def needed_permissions(job: dict, workflow_dir: Path) -> dict[str, str]:
    """The scopes a job's steps need; a job that calls a reusable workflow needs what that one's jobs need."""
    called = _called_workflow(job, workflow_dir)
    if called is not None:
        needed: dict[str, str] = {}
        for inner in called["jobs"].values():
            needed.update(needed_permissions(inner, workflow_dir))
        return needed
    steps = job.get("steps", [])
    uses = [step.get("uses", "") for step in steps]
    runs = "\n".join(step.get("run", "") for step in steps)
    needed = {"contents": "read"} if any(u.startswith("actions/checkout@") for u in uses) else {}
    if any(u.startswith(AWS_ACTION) for u in uses):
        needed["id-token"] = "write"
    if any(u.startswith(SARIF_ACTION) for u in uses):
        needed["security-events"] = "write"
    if PR_COMMENT_SCRIPT in runs:
        needed["pull-requests"] = "write"
    return needed


def permission_problems(workflow: dict, workflow_dir: Path) -> list[str]:
    problems = []
    top = workflow.get("permissions")
    if top is None:
        problems.append("no top-level permissions (the default token can write)")
    elif top != {} and (not isinstance(top, dict) or any(value != "read" for value in top.values())):
        problems.append(f"top-level permissions {top!r} are not empty or read-only")
    for name, job in workflow["jobs"].items():
        declared = job.get("permissions")
        if not isinstance(declared, dict):
            problems.append(f"job {name}: permissions {declared!r} are not an explicit list of scopes")
            continue
        needed = needed_permissions(job, workflow_dir)
        if declared != needed:
            problems.append(f"job {name}: declares {declared}, its steps need {needed}")
    return problems
