"""What each preflight sub-command does, as functions returning a Report (the CLI only parses and prints)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from preflight.evaluation import LEVEL_STRENGTH, evaluate, load_pack_config
from preflight.evaluation import ConfigError as PackConfigError
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
    """The pack config a stack is judged with: policies/config/<environment class>.json, or the
    explicit --policy-pack-config.

    The stack file cannot choose a weaker one: a production stack is judged with prod.json whatever
    its `environment` says, and an explicit config for it may not be weaker than prod.json (a lower
    level, or other settings, for any policy).
    """
    from components.config_rules import environment_class, is_production_stack

    settings = load_stack_settings(stack_file)
    environment = settings.config.get(f"{settings.project}:environment", "prod")
    required = PACK_CONFIG_DIR / f"{environment_class(environment, settings.stack)}.json"
    if explicit is None:
        return _read_pack_config(required)
    given = _read_pack_config(Path(explicit))
    if is_production_stack(settings.stack):
        _refuse_weaker(given, _read_pack_config(required), Path(explicit), required, settings.stack)
    return given


def _read_pack_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UsageError(f"policy pack config {path} not found (give one with --policy-pack-config)")
    try:
        return load_pack_config(path)
    except PackConfigError as err:  # given on the command line: a usage error like a missing file
        raise UsageError(str(err)) from None


def _refuse_weaker(given: dict[str, Any], required: dict[str, Any], given_path: Path, required_path: Path, stack: str) -> None:
    """Compares the levels and settings each policy ends up with, after the engine's reconciliation
    (schema defaults, then "all", then per-policy entries), so "all": "advisory" counts too."""
    empty = Plan("pack-config", stack, (), {})
    resolved = {p.name: p for p in evaluate(empty, given).policies}
    weaker = []
    for policy in evaluate(empty, required).policies:
        mine = resolved[policy.name]
        if LEVEL_STRENGTH.get(mine.enforcement, 0) < LEVEL_STRENGTH.get(policy.enforcement, 2):
            weaker.append(f"{policy.name} is {mine.enforcement}, {required_path.name} requires {policy.enforcement}")
        elif dict(mine.config) != dict(policy.config):
            weaker.append(f"{policy.name} has other settings than in {required_path.name}")
    if weaker:
        shown = "; ".join(weaker[:10]) + (f"; and {len(weaker) - 10} more" if len(weaker) > 10 else "")
        raise UsageError(f"--policy-pack-config {given_path}: stack {stack!r} is a production stack and is judged "
                         f"at least as strictly as {_relative(required_path)}: {shown}")


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
    locations = program_locations(plan, _relative(path))
    # What the pack could not judge (a wrong type, an exception) makes the verdict "error".
    return from_evaluation("check", plan.stack, plan.resources, evaluation, locations, errors=evaluation.errors)
