"""Runs the Pulumi program in-process under Pulumi's mock engine and records what it registers.

No Pulumi CLI, provider plugin or cloud account is needed: `pulumi.runtime.set_mocks` replaces
the engine, `PlatformMocks` answers with plausible values, and `RecordingMonitor` keeps the full
registration request of every resource (inputs, parent, dependencies, provider, options) so that
the policy pack and the reports see what a real preview would show the pack.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from preflight.mocks import PlatformMocks
from preflight.model import Plan, RecordedResource
from preflight.stack_files import PROJECT_ROOT, StackSettings, load_stack_settings, stack_file_for

# Offline runs with no account configured still need ARNs of the right shape.
_FALLBACK_ACCOUNT_ID = "000000000000"
_FALLBACK_REGION = "us-east-1"


class RecordingMonitor(MockMonitor):
    """A mock monitor that also keeps every RegisterResource request, in order."""

    def __init__(self, mocks: pulumi.runtime.Mocks, recorded: list[RecordedResource] | None = None) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = [] if recorded is None else recorded

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The real engine qualifies a child's type with its parent's full qualified type, and
        # leaves the root stack out of it; match that so offline URNs equal a real preview's.
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != "pulumi:pulumi:Stack":
                type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.recorded.append(_record(request, response.urn, response.id))
        return response


def _record(request, urn: str, resource_id: str) -> RecordedResource:
    return RecordedResource(
        urn=urn,
        type=request.type,
        name=request.name,
        custom=request.custom,
        inputs=json_format.MessageToDict(request.object),
        parent=request.parent or None,
        dependencies=tuple(request.dependencies),
        property_dependencies={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
        provider=request.provider or None,
        protect=request.protect,
        remote=request.remote,
        retain_on_delete=request.retainOnDelete,
        delete_before_replace=request.deleteBeforeReplace,
        additional_secret_outputs=tuple(request.additionalSecretOutputs),
        id=resource_id if request.custom else None,
    )


def run_program(
    *,
    stack: str | None = None,
    stack_file: Path | None = None,
    program_dir: Path = PROJECT_ROOT,
) -> Plan:
    """Runs `__main__.py` for a named stack or a stack file and returns everything it registered.

    Errors raised by the program (for example the config loader's ConfigError) propagate unchanged.
    """
    if (stack is None) == (stack_file is None):
        raise ValueError("give exactly one of stack or stack_file")
    path = stack_file if stack_file is not None else stack_file_for(stack, program_dir)
    settings = load_stack_settings(Path(path), program_dir)
    return run_with_settings(settings, program_dir)


def run_with_settings(
    settings: StackSettings,
    program_dir: Path = PROJECT_ROOT,
    recorded: list[RecordedResource] | None = None,
) -> Plan:
    """Runs the program with already-loaded settings.

    `recorded`, when given, receives each resource as it registers, so a caller can see what was
    registered even when the program fails part way.
    """
    account_id = settings.config.get(f"{settings.project}:accountId") or _FALLBACK_ACCOUNT_ID
    region = settings.config.get("aws:region") or _FALLBACK_REGION
    monitor = RecordingMonitor(PlatformMocks(account_id, region), recorded)

    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(settings.config, list(settings.secret_keys))
    pulumi.runtime.set_mocks(
        monitor.mocks, project=settings.project, stack=settings.stack, preview=True, monitor=monitor
    )
    if str(program_dir) not in sys.path:
        sys.path.insert(0, str(program_dir))

    main = program_dir / "__main__.py"
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(main), run_name="__main__")))
    root = runtime_settings.get_root_resource()
    outputs: dict[str, Any] = _sync_await(pulumi.Output.from_input(root.outputs).future()) or {}
    return Plan(project=settings.project, stack=settings.stack, resources=tuple(monitor.recorded), outputs=outputs)
