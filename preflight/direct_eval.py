"""The direct path: the pack's own policy objects called on plain Python values, as the servicer calls them.

What the servicer does per resource and per policy (marshal the inputs into a Struct, copy it into a
request, read it back, deserialize, wrap in the SDK's unknown-checking proxy) happens here once per
resource (preflight.policy_values). Everything else is the SDK's own: the same policy objects and
`validate` calls, the same argument classes, the configured servicer's enforcement levels, config
and report callback (so messages carry the policy description as the servicer writes them), the
same handling of unknown values (advisory "can't run policy"), of `not_applicable`, and of a policy
that raises (the other policies' results are kept and the failure is an error naming it), and the
same Found that the reference fills.

Props, options, providers and each policy's config are built once and shared by the policies that read
them, where the servicer builds a copy for each: the pack's rules are pure functions of what they are given.
Inputs the direct path does not convert itself go to the reference (preflight.analyzer.ServicerPath):
that resource's policies, and then the whole stack, run through the servicer.
"""
from __future__ import annotations

import asyncio
import gc
from contextlib import contextmanager
from inspect import isawaitable
from types import MappingProxyType
from typing import Any, Callable, Iterator, Sequence

from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError

from preflight import map_order
from preflight.analyzer import Found, ServicerPath, judging
from preflight.model import Plan, RecordedResource
from preflight.policy_values import NotPlain, view

# The servicer never receives stack tags offline (no ConfigureStack call): every policy sees none.
_NO_STACK_TAGS = MappingProxyType({})


def run_directly(plan: Plan, policies: Sequence[Any], servicer: Any, reference: ServicerPath) -> Found:
    """What `reference.run()` finds, found directly; `servicer` holds every policy, configured."""
    servicer._configure_runtime_settings()  # what the servicer does first on every call
    run = _Run(plan, policies, servicer, reference)
    found = Found()
    delegated = False
    with _collector_paused():
        for resource in plan.resources:
            delegated |= not run.resource(resource, found)
        if delegated:
            found.unmarshalled = list(reference.marshalled[1])  # the reference found which inputs cannot be marshalled
            reference.stack(found)
        else:
            run.stack(found)
    return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The views are many small containers that live until the run ends and form no cycles; a
    cyclic collection during the run would only walk them, and every object of the program that
    made the plan, again and again (a tenth of the run's time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Run:
    """One evaluation: the policies' settings, and each resource's views, built once."""

    def __init__(self, plan: Plan, policies: Sequence[Any], servicer: Any, reference: ServicerPath) -> None:
        self.plan, self.policies, self.servicer, self.reference = plan, policies, servicer, reference
        self.pack_name, self.pack_version = reference.pack
        self.by_urn: dict[str, RecordedResource] = {}
        for resource in plan.resources:
            self.by_urn.setdefault(resource.urn, resource)  # Plan.by_urn answers with the first
        self.by_type: dict[str, list[tuple[Any, EnforcementLevel, Any]]] = {}
        stack_settings = (self._settings(p) for p in policies if isinstance(p, StackValidationPolicy))
        self.stack_policies = [s for s in stack_settings if s is not None]
        self.stack_views: list[Any] = []  # each resource's props as stack policies see them, in plan order
        self.provider_views: dict[tuple[str, Callable], PolicyProviderResource | None] = {}

    def _settings(self, policy: Any) -> tuple[Any, EnforcementLevel, Any] | None:
        """(policy, the level it reports at, its config) as the servicer runs it; None when disabled."""
        level = self.servicer._get_enforcement_level(policy)
        if level == EnforcementLevel.DISABLED:
            return None
        if level == EnforcementLevel.REMEDIATE:  # the servicer reports a remediation policy's violations as mandatory
            level = EnforcementLevel.MANDATORY
        return policy, level, self.servicer._get_policy_config(policy.name)

    def _judging(self, type_token: str) -> list[tuple[Any, EnforcementLevel, Any]]:
        if type_token not in self.by_type:
            settings = (self._settings(p) for p in judging(self.policies, self.reference.targets, type_token))
            self.by_type[type_token] = [s for s in settings if s is not None]
        return self.by_type[type_token]

    # --- resources --------------------------------------------------------------------------------

    def resource(self, resource: RecordedResource, found: Found) -> bool:
        """Judges one resource with its policies; False when it went to the reference instead."""
        judged_by = self._judging(resource.type)
        try:
            if self.stack_policies:
                stack_view = view(resource.inputs, map_order.stack_props)
                # Converted now, so that a provider left to the reference is known before the stack runs.
                self._provider(resource, map_order.stack_provider)
            # Converting proves the inputs can be marshalled, so every resource is converted once.
            props = view(resource.inputs, map_order.resource_props) if judged_by or not self.stack_policies else None
            provider = self._provider(resource, map_order.resource_provider) if judged_by else None
        except NotPlain:
            self.reference.resource(resource, found)
            return False
        if self.stack_policies:
            self.stack_views.append(stack_view)
        if judged_by:
            self._analyze(resource, judged_by, props, provider, found)
        return True

    def _analyze(self, resource: RecordedResource, judged_by: list, props: Any, provider: Any, found: Found) -> None:
        response = proto.AnalyzeResponse()
        options = _options(resource)
        failed = []
        for policy, level, config in judged_by:
            if not policy.has_validation():
                response.not_applicable.append(proto.PolicyNotApplicable(
                    policy_name=policy.name, reason="Policy does not implement validate"))
                continue
            args = ResourceValidationArgs(resource.type, props, resource.urn, resource.name, options, provider, config,
                                          _NO_STACK_TAGS)
            error = self._validate(policy, level, args, response)
            if error is not None:
                failed.append((policy.name, error))
        found.add([response], resource.urn)
        if failed:
            found.fail(failed, resource.urn, f"could not evaluate {resource.name}")

    # --- the stack --------------------------------------------------------------------------------

    def stack(self, found: Found) -> None:
        if not self.stack_policies:
            return
        resources = self._stack_resources()
        response = proto.AnalyzeResponse()
        failed = []
        for policy, level, config in self.stack_policies:
            error = self._validate(policy, level, StackValidationArgs(list(resources), config, _NO_STACK_TAGS),
                                   response)
            if error is not None:
                failed.append((policy.name, error))
        found.add([response], "")
        for name, error in failed:
            found.fail([(name, error)], name, "could not evaluate the stack")

    def _stack_resources(self) -> list[PolicyResource]:
        """Every resource as a stack policy sees it, parents and dependencies linked as the servicer links them."""
        made = [PolicyResource(r.type, props, r.urn, r.name, _options(r), self._provider(r, map_order.stack_provider),
                               None, [], {})
                for r, props in zip(self.plan.resources, self.stack_views)]
        by_urn = {policy_resource.urn: policy_resource for policy_resource in made}  # the last of a URN, as there
        for resource, made_resource in zip(self.plan.resources, made):
            made_resource.parent = by_urn.get(resource.parent or "")
            made_resource.dependencies = [by_urn[d] for d in resource.dependencies if d in by_urn]
            keys = tuple(resource.property_dependencies)
            for key in map_order.stack_dependencies(keys) if len(keys) > 1 else keys:
                made_resource.property_dependencies[key] = [
                    by_urn[d] for d in resource.property_dependencies[key] if d in by_urn]
        return made

    # --- both -------------------------------------------------------------------------------------

    def _validate(self, policy: Any, level: EnforcementLevel, args: Any, response: Any) -> Exception | None:
        """Runs one policy into `response` as the servicer does; the exception that escaped it, if any
        (then nothing it reported is kept: the servicer's response is lost with the exception)."""
        reported = len(response.diagnostics), len(response.not_applicable)
        report = self.servicer._create_report_violation(response, policy.name, policy.description, level,
                                                        policy.severity)
        try:
            result = policy.validate(args, report)
            if result is not None and isawaitable(result):
                loop = asyncio.new_event_loop()
                task = asyncio.Task(result, loop=loop)
                loop.run_until_complete(task)
                loop.close()
        except UnknownValueError as unknown:
            response.diagnostics.append(proto.AnalyzeDiagnostic(
                policyName=policy.name,
                policyPackName=self.pack_name,
                policyPackVersion=self.pack_version,
                message=(f"can't run policy '{policy.name}' from policy pack "
                         f"'{self.pack_name}@v{self.pack_version}' during preview: {unknown.message}"),
                urn="",
                description=policy.description,
                enforcementLevel=proto.ADVISORY,
            ))
        except _NotApplicableError as not_applicable:
            response.not_applicable.append(proto.PolicyNotApplicable(
                policy_name=policy.name, reason=not_applicable.reason or ""))
        except Exception as error:  # the reference reports it as an error naming the policy
            del response.diagnostics[reported[0]:]
            del response.not_applicable[reported[1]:]
            return error
        return None

    def _provider(self, resource: RecordedResource, order: Callable) -> PolicyProviderResource | None:
        """The resource's provider as the servicer describes it ("<urn>::<id>", inputs from the plan)."""
        if not resource.provider:
            return None
        urn = resource.provider.rsplit("::", 1)[0]
        key = (urn, order)
        if key not in self.provider_views:
            provider = self.by_urn.get(urn)
            self.provider_views[key] = None if provider is None else PolicyProviderResource(
                provider.type, view(provider.inputs, order), provider.urn, provider.name)
        return self.provider_views[key]


def _options(resource: RecordedResource) -> PolicyResourceOptions:
    """The options the servicer reads back from the request (preflight.analyzer._options)."""
    return PolicyResourceOptions(
        resource.protect,
        [],
        resource.delete_before_replace or None,  # "defined" only when set
        [],
        PolicyCustomTimeouts(0, 0, 0),
        list(resource.additional_secret_outputs),
        resource.parent or None,
    )
