"""`verify`: live evidence from the deployed account, as a report under the pack's rule names."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from preflight.analyzer import evaluate
from preflight.commands import UsageError
from preflight.model import Plan
from preflight.report import InputError, Report
from preflight.stack_files import PROJECT_ROOT


def stack_outputs_from_cli(stack: str) -> dict[str, Any]:
    """`pulumi stack output --json --stack NAME`, for when no saved outputs file is given."""
    import json
    import shutil
    import subprocess

    if shutil.which("pulumi") is None:
        raise UsageError("no --outputs file given and the pulumi CLI is not on PATH to read the stack's outputs")
    completed = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", stack],
                               capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    if completed.returncode != 0:
        raise UsageError(f"pulumi stack output --stack {stack} failed: {completed.stderr.strip()}")
    try:
        values = json.loads(completed.stdout)
    except json.JSONDecodeError as err:
        raise UsageError(f"pulumi stack output --stack {stack} did not print JSON: {err}") from err
    if not isinstance(values, dict):
        raise UsageError(f"pulumi stack output --stack {stack} did not print a JSON object")
    return values


def verify_live(outputs_file: Path | None, overrides: dict[str, Any], stack: str | None, endpoint_url: str | None) -> Report:
    """Live evidence: each control's pass/fail/error as a report, under the pack's rule names."""
    import json

    from policies import pack
    from preflight.analyzer import Violation
    from preflight.report import ResourceEntry
    from preflight.verify import StackOutputs, Status, verify

    if outputs_file is not None and not outputs_file.is_file():
        raise UsageError(f"stack outputs file {outputs_file} not found (write it with pulumi stack output --json)")
    if outputs_file is not None:
        outputs = StackOutputs.from_file(outputs_file)
    elif stack and not overrides:
        outputs = StackOutputs(stack_outputs_from_cli(stack))
    else:
        outputs = StackOutputs()
    outputs = outputs.merged(overrides)
    results = verify(outputs, endpoint_url=endpoint_url)

    metadata = evaluate(Plan("verify", stack or "", (), {}), {}).policies
    checked = {r.rule for r in results}
    policies = tuple(p for p in metadata if p.name in checked)
    severity = {p.name: p.severity for p in policies}
    violations = tuple(
        Violation(r.rule, severity.get(r.rule, "unspecified"), "mandatory", r.resource,
                  f"{r.message}\nevidence: {json.dumps(r.evidence, default=str, sort_keys=True)}")
        for r in results if r.status is Status.FAIL
    )
    errors = tuple(InputError(r.rule, None, f"{r.resource}: {r.message}") for r in results if r.status is Status.ERROR)
    not_passing = {r.rule for r in results if r.status is not Status.PASS}
    resources = tuple(
        ResourceEntry(r.resource, "aws:live-evidence", r.rule, None, {"status": r.status.value, "evidence": r.evidence})
        for r in results
    )
    return Report(
        kind="verify", stack=stack or outputs.values.get("clusterName"), policy_pack=pack.PACK_NAME,
        policy_pack_version=pack.PACK_VERSION, resources=resources, policies=policies, violations=violations,
        passed=tuple(p.name for p in policies if p.name not in not_passing), errors=errors,
    )
