"""`verify`: live evidence from the deployed account, as a report under the pack's rule names.

What must exist comes from the stack's settings (`--stack` or `--stack-file`, run offline); the
stack outputs (a saved file, the pulumi CLI, or `--set`) are an input checked against them. The
verdict is `pass` only when the outputs agree with the settings and every control was read and
passed; without a stack nothing says what must exist, so the verdict is never `pass`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from preflight.evaluation import Violation, evaluate
from preflight.commands import UsageError, stack_path
from preflight.model import Plan
from preflight.report import InputError, Report, ResourceEntry
from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError
from preflight.stack_files import PROJECT_ROOT
from preflight.verify import ControlResult, StackOutputs, Status, verify, wrong_account
from preflight.verify.expected import ExpectedStack
from preflight.verify.judgement import Judgement, against_stack, without_stack
from preflight.verify.outputs import MissingOutput, one_line


def require_pulumi_cli() -> None:
    """Checked before the program runs, so a missing CLI costs no offline run."""
    import shutil

    if shutil.which("pulumi") is None:
        raise UsageError("no --outputs file or --set given, and the pulumi CLI is not on PATH to read the stack's outputs")


def stack_outputs_from_cli(stack: str, limits: Limits = DEFAULT_LIMITS) -> StackOutputs:
    """`pulumi stack output --json --stack NAME`, for when no saved outputs file is given."""
    import subprocess

    try:
        completed = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", stack],
                                   capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    except subprocess.TimeoutExpired:
        raise UsageError(f"pulumi stack output --stack {stack} did not finish within 120 s") from None
    if completed.returncode != 0:
        raise UsageError(f"pulumi stack output --stack {stack} failed: {one_line(completed.stderr, 300)}")
    try:
        return StackOutputs.from_text(completed.stdout, f"pulumi stack output --stack {stack}", limits)
    except LoadError as err:
        raise UsageError(str(err)) from None


def expected_stack(path: Path) -> ExpectedStack:
    """What must exist, from one offline run of the program with the stack's settings."""
    from preflight.engine import run_program

    plan = run_program(stack_file=path)
    try:
        return ExpectedStack.from_plan(plan)
    except MissingOutput as err:
        raise UsageError(str(err)) from None


def verify_live(outputs_file: Path | None, overrides: dict[str, Any], stack: str | None, stack_file: Path | None,
                endpoint_url: str | None, limits: Limits = DEFAULT_LIMITS) -> Report:
    if outputs_file is None and not overrides and stack is None and stack_file is None:
        raise UsageError("give --stack or --stack-file (what must exist), and --outputs or --set where the pulumi CLI "
                         "cannot read the stack's outputs")
    if outputs_file is not None and not outputs_file.is_file():
        raise UsageError(f"stack outputs file {outputs_file} not found (write it with pulumi stack output --json)")
    # Inputs are checked before the program runs (seconds): a broken outputs file, no way to read outputs.
    saved = StackOutputs.from_file(outputs_file, limits) if outputs_file is not None else None
    from_pulumi_cli = saved is None and not overrides  # so a stack is given (checked above)
    if from_pulumi_cli:
        require_pulumi_cli()
    expected = expected_stack(stack_path(stack, stack_file)) if stack or stack_file else None
    if from_pulumi_cli:
        saved = stack_outputs_from_cli(expected.stack, limits)
    given = (saved or StackOutputs()).merged(overrides)
    judgement = against_stack(expected, given) if expected is not None else without_stack(given)
    return evidence_report(judgement, expected.stack if expected else None, endpoint_url=endpoint_url)


def evidence_report(judgement: Judgement, stack: str | None, *, session: boto3.session.Session | None = None,
                    endpoint_url: str | None = None) -> Report:
    """Each control's pass/fail/error, under the pack's rule names, after what is wrong with the outputs."""
    from policies import pack

    results = verify(judgement.values, session=session, endpoint_url=endpoint_url)
    account_problem = wrong_account(judgement.values, session=session, endpoint_url=endpoint_url)
    metadata = evaluate(Plan("verify", stack or "", (), {}), {}).policies
    checked = {r.rule for r in results}
    policies = tuple(p for p in metadata if p.name in checked)
    not_passing = {r.rule for r in results if r.status is not Status.PASS}
    return Report(
        kind="verify", stack=stack or _cluster_name(judgement), policy_pack=pack.PACK_NAME,
        policy_pack_version=pack.PACK_VERSION, resources=tuple(_resource(r) for r in results), policies=policies,
        violations=_violations(results, {p.name: p.severity for p in policies}),
        passed=tuple(p.name for p in policies if p.name not in not_passing),
        errors=(*_outputs_errors(judgement),
                *((InputError("AWS credentials", None, account_problem),) if account_problem else ()),
                *(InputError(r.rule, None, f"{r.resource}: {r.message}") for r in results if r.status is Status.ERROR)),
    )


def _outputs_errors(judgement: Judgement) -> tuple[InputError, ...]:
    return tuple(InputError(*judgement.values.origin(p.key), p.message) for p in judgement.problems)


def _cluster_name(judgement: Judgement) -> str | None:
    """What names the run in the report when no stack does."""
    name = judgement.values.values.get("clusterName")
    return name if isinstance(name, str) else None


def _violations(results: list[ControlResult], severity: dict[str, str]) -> tuple[Violation, ...]:
    return tuple(
        Violation(r.rule, severity.get(r.rule, "unspecified"), "mandatory", r.resource,
                  f"{r.message}\nevidence: {json.dumps(r.evidence, default=str, sort_keys=True)}")
        for r in results if r.status is Status.FAIL
    )


def _resource(result: ControlResult) -> ResourceEntry:
    return ResourceEntry(result.resource, "aws:live-evidence", result.rule, None,
                         {"status": result.status.value, "evidence": result.evidence})
