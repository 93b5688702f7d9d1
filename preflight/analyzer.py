"""The servicer path, the reference: the pack's policies through pulumi-policy's own analyzer servicer.

`PolicyPack(...)` builds a `_PolicyAnalyzerServicer` and serves it over gRPC to the Pulumi engine.
Here the same servicer is built directly and called the way the engine calls it: `GetAnalyzerInfo`,
then `Configure` with the pack config reconciled as the engine does (schema defaults, then "all",
then per-policy entries), then `Analyze` once per resource and `AnalyzeStack` once. Enforcement
levels, config and unknown-value handling therefore behave as in `pulumi preview`.
(preflight.evaluation chooses between this path and the direct one.)

Inputs that cannot be handed to the SDK, and exceptions escaping the servicer, are errors on the
resource (the servicer is then asked again one policy at a time, so the other policies' results are kept).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from preflight.evaluation import (
    Declared,
    Evaluation,
    Failures,
    Found,
    NotApplicable,
    PolicyMetadata,
    Violation,
    evaluation,
    input_error,
    one_line,
    reconcile_config,
)
from preflight.model import Plan, RecordedResource

if TYPE_CHECKING:
    from preflight.report import InputError

_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}
_SEVERITY_NAMES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "unspecified",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


def run_servicer(plan: Plan, config: Mapping[str, Any], policies: list[Any], name: str, version: str) -> Evaluation:
    """Evaluates `policies` (SDK policy objects) over `plan` through the configured servicer."""
    servicer = _PolicyAnalyzerServicer(name, version, policies, EnforcementLevel.ADVISORY)
    info = servicer.GetAnalyzerInfo(None, None)
    resolved = reconcile_config(declared(info), config)
    found = reference(plan, policies, name, version, resolved, servicer).run()
    return evaluation(name, version, tuple(_metadata(p, resolved) for p in info.policies), found)


def reference(plan: Plan, policies: list[Any], name: str, version: str, resolved: Mapping[str, dict[str, Any]],
              servicer: Any = None) -> ServicerPath:
    """The servicer path over `plan`, configured with the reconciled pack config."""
    configure = _configure_request(resolved)
    servicer = servicer or _PolicyAnalyzerServicer(name, version, policies, EnforcementLevel.ADVISORY)
    servicer.Configure(configure, None)
    return ServicerPath(plan, policies, servicer, (name, version, configure))


def declared(info: Any) -> list[Declared]:
    """The policies as GetAnalyzerInfo describes them."""
    return [Declared(p.name, _LEVEL_NAMES[p.enforcementLevel], _struct_to_dict(p.configSchema.properties))
            for p in info.policies]


class ServicerPath:
    """The reference: every resource and the stack through the configured servicer, as the engine
    sends them. The direct path hands it the rare inputs it does not convert itself, so those are
    judged by the reference itself, whatever they hold."""

    def __init__(self, plan: Plan, policies: Sequence[Any], servicer: Any,
                 pack: tuple[str, str, analyzer_pb2.ConfigureAnalyzerRequest]) -> None:
        """`servicer` holds every policy, configured; `pack` is (name, version, the Configure request)."""
        from policies.pack import RULES

        self.plan, self.policies, self.servicer = plan, policies, servicer
        name, version, configure = pack
        self.pack = (name, version)
        self.targets = _resource_types(RULES)
        self.for_type = _servicers_by_type(name, version, policies, configure, self.targets)
        self.alone = _servicer_per_policy(name, version, configure)
        self._marshalled: tuple[dict[str, struct_pb2.Struct], list[InputError]] | None = None

    @property
    def structs(self) -> dict[str, struct_pb2.Struct]:
        return self.marshalled[0]

    @property
    def marshalled(self) -> tuple[dict[str, struct_pb2.Struct], list[InputError]]:
        """Every resource's inputs as the engine marshals them, and the errors of those it cannot."""
        if self._marshalled is None:
            self._marshalled = _structs(self.plan)
        return self._marshalled

    def run(self) -> Found:
        found = Found(unmarshalled=list(self.marshalled[1]))
        for resource in self.plan.resources:
            self.resource(resource, found)
        self.stack(found)
        return found

    def resource(self, resource: RecordedResource, found: Found) -> None:
        typed = self.for_type(resource.type)
        if typed is None or resource.urn not in self.structs:
            return
        request = _analyze_request(resource, self.plan, self.structs)
        responses, failed = _run(lambda s: s.Analyze(request, None), *typed, self.alone)
        _add(found, responses, request.urn)
        if failed:
            found.fail(failed, resource.urn, f"could not evaluate {resource.name}")

    def stack(self, found: Found) -> None:
        stack_request = _stack_request(self.plan, self.structs)
        stack_policies = [p for p in self.policies if isinstance(p, StackValidationPolicy)]
        responses, failed = _run(lambda s: s.AnalyzeStack(stack_request, None), self.servicer, stack_policies,
                                 self.alone)
        _add(found, responses, "")
        for policy, error in failed:
            found.fail([(policy, error)], policy, "could not evaluate the stack")


def _add(found: Found, responses: Sequence[Any], urn: str) -> None:
    """Responses about the resource `urn` ("" for the stack)."""
    for response in responses:
        found.violations += _violations(response, default_urn=urn)
        found.not_applicable += [NotApplicable(n.policy_name, urn, n.reason) for n in response.not_applicable]


def _run(call: Callable[[Any], Any], servicer: Any, policies: Sequence[Any],
         alone: Callable[[Any], Any]) -> tuple[list[Any], Failures]:
    """The servicer's responses, and the policies that could not run.

    When an exception escapes the servicer (inputs the SDK cannot convert, a policy that raises),
    each policy is asked alone, so one failure costs only that policy's result.
    """
    try:
        return [call(servicer)], []
    except Exception:  # each policy is asked alone; those that fail again are reported
        return _one_by_one(call, policies, alone)


def _one_by_one(call: Callable[[Any], Any], policies: Sequence[Any],
                alone: Callable[[Any], Any]) -> tuple[list[Any], Failures]:
    responses, failed = [], []
    for policy in policies:
        try:
            responses.append(call(alone(policy)))
        except Exception as error:  # reported as an error naming the policy and the input
            failed.append((policy.name, error))
    return responses, failed


def _servicer_per_policy(name, version, configure) -> Callable[[Any], Any]:
    """A configured servicer holding one policy, built when first asked for (only after a failure)."""
    cache: dict[str, Any] = {}

    def alone(policy):
        if policy.name not in cache:
            cache[policy.name] = _PolicyAnalyzerServicer(name, version, [policy], EnforcementLevel.ADVISORY)
            cache[policy.name].Configure(configure, None)
        return cache[policy.name]

    return alone


def _structs(plan: Plan) -> tuple[dict[str, struct_pb2.Struct], list[InputError]]:
    """Each resource's inputs as the engine marshals them, and an error for each resource whose inputs
    cannot be marshalled or read back as the SDK reads them (a number beyond a double, NaN or
    infinity, nesting deeper than Python recurses). Such a resource is left out of the stack
    policies' view too, so it cannot stop them judging the others: it is not judged, and its error
    says so."""
    structs, errors = {}, []
    for resource in plan.resources:
        try:
            struct = _struct(resource.inputs)
            json_format.MessageToDict(struct)  # what the SDK does with it for every policy
            structs[resource.urn] = struct
        except Exception as error:  # whatever the marshaller refuses, the resource is not judged
            errors.append(input_error(resource.urn, f"the inputs of {resource.name} cannot be evaluated "
                                                     f"({one_line(error)})"))
    return structs, errors


def _resource_types(rules: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    """Which resource types each of the pack's resource rules judges (it returns at once on others)."""
    return {r.name: r.resource_types for r in rules if not r.is_stack_rule}


def _judging(policies: Sequence[Any], targets: Mapping[str, tuple[str, ...]], type_token: str) -> list[Any]:
    """The resource policies that judge `type_token`: those the pack targets at it, and every
    policy the pack does not describe (no known targets)."""
    return [p for p in policies if isinstance(p, ResourceValidationPolicy)
            and type_token in targets.get(p.name, (type_token,))]


def _servicers_by_type(name, version, policies, configure, targets):
    """(servicer, its policies) per resource type, holding only the resource policies that judge it.

    The SDK converts a resource's inputs once per policy it runs; a policy that ignores the type
    would only convert and return. Same policies, same config, same verdicts, a fraction of the
    work. Policies the pack does not describe (no known targets) run on every type.
    """
    cache: dict[str, Any] = {}

    def for_type(type_token: str):
        if type_token not in cache:
            subset = _judging(policies, targets, type_token)
            typed = None
            if subset:
                typed = _PolicyAnalyzerServicer(name, version, subset, EnforcementLevel.ADVISORY)
                typed.Configure(configure, None)
            cache[type_token] = (typed, subset) if typed else None
        return cache[type_token]

    return for_type


def _configure_request(resolved: Mapping[str, dict[str, Any]]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy, entry in resolved.items():
        level = entry["enforcementLevel"]
        config = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVELS[level] if level else analyzer_pb2.ADVISORY)
        if entry["properties"]:
            config.properties.update(entry["properties"])
        request.policyConfig[policy].CopyFrom(config)
    return request


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """Inputs as the engine marshals them; the unknown sentinel stays a string the SDK proxy detects."""
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


def _options(resource: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        deleteBeforeReplace=resource.delete_before_replace,
        deleteBeforeReplaceDefined=resource.delete_before_replace,
        additionalSecretOutputs=list(resource.additional_secret_outputs),
        parent=resource.parent or "",
    )


def _provider(resource: RecordedResource, plan: Plan,
              structs: Mapping[str, struct_pb2.Struct]) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The provider reference is "<urn>::<id>"; the provider's own inputs come from the plan."""
    if not resource.provider:
        return None
    urn = resource.provider.rsplit("::", 1)[0]
    try:
        provider = plan.by_urn(urn)
    except LookupError:
        return None
    if urn not in structs:
        return None  # its inputs could not be marshalled; that is an error on the provider already
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=structs[urn], urn=provider.urn, name=provider.name
    )


def _analyze_request(resource: RecordedResource, plan: Plan,
                     structs: Mapping[str, struct_pb2.Struct]) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=structs[resource.urn],
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
    )
    provider = _provider(resource, plan, structs)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _stack_request(plan: Plan, structs: Mapping[str, struct_pb2.Struct]) -> analyzer_pb2.AnalyzeStackRequest:
    request = analyzer_pb2.AnalyzeStackRequest()
    for r in plan.resources:
        if r.urn not in structs:
            continue
        item = analyzer_pb2.AnalyzerResource(
            type=r.type,
            properties=structs[r.urn],
            urn=r.urn,
            name=r.name,
            options=_options(r),
            parent=r.parent or "",
            dependencies=list(r.dependencies),
        )
        for key, urns in r.property_dependencies.items():
            item.propertyDependencies[key].urns.extend(urns)
        provider = _provider(r, plan, structs)
        if provider is not None:
            item.provider.CopyFrom(provider)
        request.resources.append(item)
    return request


def _violations(response: Any, default_urn: str) -> list[Violation]:
    return [
        Violation(
            policy=d.policyName,
            severity=_SEVERITY_NAMES[d.severity],
            enforcement=_LEVEL_NAMES[d.enforcementLevel],
            urn=d.urn or default_urn,
            message=d.message,
        )
        for d in response.diagnostics
    ]


def _metadata(p: Any, resolved: Mapping[str, dict[str, Any]]) -> PolicyMetadata:
    entry = resolved.get(p.name, {})
    level = entry.get("enforcementLevel") or _LEVEL_NAMES[p.enforcementLevel]
    specification = p.framework.specification
    return PolicyMetadata(
        name=p.name,
        description=p.description,
        severity=_SEVERITY_NAMES[p.severity],
        enforcement=level,
        kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
        framework=p.framework.name,
        framework_version=p.framework.version,
        control=p.framework.reference,
        also=specification[len("also: "):] if specification.startswith("also: ") else specification,
        tags=tuple(p.tags),
        remediation=p.remediation_steps,
        url=p.url,
        config=entry.get("properties", {}),
    )


def _struct_to_dict(struct: Any) -> dict[str, Any]:
    return json_format.MessageToDict(struct)
