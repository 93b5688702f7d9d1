"""What each preflight sub-command does, as functions returning a Report (the CLI only parses and prints)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from preflight.analyzer import Evaluation, evaluate, load_pack_config
from preflight.model import Plan
from preflight.report import Report, from_evaluation
from preflight.stack_files import PROJECT_ROOT, load_stack_settings, stack_file_for

PACK_CONFIG_DIR = PROJECT_ROOT / "policies" / "config"


class UsageError(Exception):
    """A problem with what the command was asked to do (exit status 2)."""


def stack_path(stack: str | None, stack_file: Path | None) -> Path:
    path = Path(stack_file) if stack_file else stack_file_for(stack)
    if not path.is_file():
        raise UsageError(f"stack file {path} not found")
    return path


def pack_config_for(stack_file: Path, explicit: Path | None) -> dict[str, Any]:
    """The explicit --policy-pack-config, else policies/config/<environment>.json of the stack."""
    if explicit is None:
        settings = load_stack_settings(stack_file)
        environment = settings.config.get(f"{settings.project}:environment", "prod")
        explicit = PACK_CONFIG_DIR / f"{environment}.json"
    if not Path(explicit).is_file():
        raise UsageError(f"policy pack config {explicit} not found (give one with --policy-pack-config)")
    return load_pack_config(explicit)


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def check(stack: str | None, stack_file: Path | None, pack_config: Path | None, manifests_out: Path | None) -> Report:
    from preflight.engine import run_program
    from preflight.manifests import export_manifests

    path = stack_path(stack, stack_file)
    config = pack_config_for(path, pack_config)  # a missing pack config is a usage error before the program runs
    plan = run_program(stack_file=path)
    if manifests_out is not None:
        export_manifests(plan, manifests_out)
    return check_plan(plan, path, config)


def check_plan(plan: Plan, path: Path, config: dict[str, Any]) -> Report:
    """The pack's verdict on an already-run plan, with findings located in the repository."""
    from preflight.locations import program_locations

    evaluation = evaluate(plan, config)
    return from_evaluation("check", plan.stack, plan.resources, evaluation, program_locations(plan, _relative(path)))


# Stack rules that judge a set of Kubernetes objects by themselves. Other stack rules relate
# Kubernetes objects to the AWS side (vpc-cni, Helm releases) and mean nothing for bare manifests.
MANIFEST_SET_RULES = ("k8s-default-deny-network-policy", "k8s-workload-network-policy")


def kubernetes_policies() -> list:
    """The pack's rules that judge Kubernetes objects alone (what a manifest scan can run)."""
    from policies import pack

    return [
        r.to_policy() for r in pack.RULES
        if any(t.startswith("kubernetes:") for t in r.resource_types) or r.name in MANIFEST_SET_RULES
    ]


def scan(paths: list[Path], pack_config: Path | None, progress: Callable[[int, int], None] | None = None) -> Report:
    from preflight.manifests import load_manifests

    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError("not found: " + ", ".join(map(str, missing)))
    config = load_pack_config(pack_config) if pack_config else load_pack_config(PACK_CONFIG_DIR / "prod.json")
    loaded = load_manifests(paths, root=Path.cwd(), progress=progress)
    plan = Plan(project="manifests", stack="manifests", resources=loaded.resources, outputs={})
    evaluation = evaluate(plan, config, policies=kubernetes_policies())
    return from_evaluation("scan", None, loaded.resources, evaluation, loaded.locations, loaded.errors)


def report_from_event_log(event_log: Path, pack_config: Path | None, stack_file: Path | None) -> Report:
    from dataclasses import replace

    from policies import pack
    from preflight.event_log import read_event_log

    if not event_log.is_file():
        raise UsageError(f"event log {event_log} not found")
    events = read_event_log(event_log)
    if pack_config is None and events.stack:
        candidate = stack_file or stack_file_for(events.stack)
        config = pack_config_for(candidate, None) if Path(candidate).is_file() else {}
    else:
        config = load_pack_config(pack_config) if pack_config else {}
    # Metadata (severity, control, remediation) comes from the pack itself, by policy name.
    metadata = evaluate(Plan("preview", events.stack or "", (), {}), config).policies
    severity = {p.name: p.severity for p in metadata}
    violations = tuple(replace(v, severity=severity.get(v.policy, v.severity)) for v in events.policy_events)
    failing = {v.policy for v in violations}
    passed = tuple(p.name for p in metadata if p.enforcement != "disabled" and p.name not in failing)
    evaluation = Evaluation(pack.PACK_NAME, pack.PACK_VERSION, metadata, violations, (), passed)
    return from_evaluation("report", events.stack, events.resources, evaluation)


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
    errors = tuple(f"{r.rule} {r.resource}: {r.message}" for r in results if r.status is Status.ERROR)
    not_passing = {r.rule for r in results if r.status is not Status.PASS}
    resources = tuple(
        ResourceEntry(r.resource, "aws:live-evidence", r.rule, None, {"status": r.status.value, "evidence": r.evidence})
        for r in results
    )
    return Report(
        kind="verify", stack=stack or outputs.values.get("clusterName"), policy_pack=pack.PACK_NAME,
        policy_pack_version=pack.PACK_VERSION, resources=resources, policies=policies, violations=violations,
        passed=tuple(p.name for p in policies if p.name not in not_passing), errors=errors, errors_fail=True,
    )
