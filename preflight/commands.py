"""What each preflight sub-command does, as functions returning a Report (the CLI only parses and prints)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from preflight.analyzer import evaluate, load_pack_config
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
