"""Evaluates the policy pack over an offline plan through pulumi-policy's own analyzer servicer.

`PolicyPack(...)` builds a `_PolicyAnalyzerServicer` and serves it over gRPC to the Pulumi engine.
Here the same servicer is built directly and called the way the engine calls it: `GetAnalyzerInfo`,
then `Configure` with the pack config reconciled as the engine does (schema defaults, then "all",
then per-policy entries), then `Analyze` once per resource and `AnalyzeStack` once. Enforcement
levels, config and unknown-value handling therefore behave as in `pulumi preview`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from preflight.model import Plan, RecordedResource

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


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    enforcement: str
    urn: str  # "" for a finding about the stack as a whole
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"


@dataclass(frozen=True)
class PolicyMetadata:
    name: str
    description: str
    severity: str
    enforcement: str  # after the pack config was applied
    kind: str  # "resource" or "stack"
    framework: str
    framework_version: str
    control: str
    also: str
    tags: tuple[str, ...]
    remediation: str
    url: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class NotApplicable:
    policy: str
    urn: str
    reason: str


@dataclass(frozen=True)
class Evaluation:
    pack: str
    version: str
    policies: tuple[PolicyMetadata, ...]
    violations: tuple[Violation, ...]
    not_applicable: tuple[NotApplicable, ...]
    passed: tuple[str, ...]  # enabled policies with no violation (stack policies: and applicable)

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mandatory)

    def of(self, policy: str) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.policy == policy)


class ConfigError(ValueError):
    """The pack config does not fit the policies' config schemas (the engine refuses it too)."""


def load_pack_config(path: str | Path) -> dict[str, Any]:
    """Reads a `--policy-pack-config` file."""
    text = Path(path).read_text()
    return json.loads(text) if text.strip() else {}


def evaluate(
    plan: Plan,
    config: Mapping[str, Any] | None = None,
    *,
    policies: Sequence[Any] | None = None,
    pack_name: str | None = None,
    pack_version: str | None = None,
) -> Evaluation:
    """Runs every policy of the pack (or `policies`) over `plan` with the given pack config."""
    from policies import pack

    policies = list(policies if policies is not None else pack.policies())
    name = pack_name or pack.PACK_NAME
    version = pack_version or pack.PACK_VERSION
    servicer = _PolicyAnalyzerServicer(name, version, policies, EnforcementLevel.ADVISORY)

    info = servicer.GetAnalyzerInfo(None, None)
    resolved = reconcile_config(info, config or {})
    configure = _configure_request(resolved)
    servicer.Configure(configure, None)
    for_type = _servicers_by_type(name, version, policies, configure, _resource_types(pack.RULES))

    violations: list[Violation] = []
    not_applicable: list[NotApplicable] = []
    for resource in plan.resources:
        typed = for_type(resource.type)
        if typed is None:
            continue
        request = _analyze_request(resource, plan)
        response = typed.Analyze(request, None)
        violations += _violations(response, default_urn=request.urn)
        not_applicable += [NotApplicable(n.policy_name, request.urn, n.reason) for n in response.not_applicable]
    stack_response = servicer.AnalyzeStack(_stack_request(plan), None)
    violations += _violations(stack_response, default_urn="")
    not_applicable += [NotApplicable(n.policy_name, "", n.reason) for n in stack_response.not_applicable]

    metadata = tuple(_metadata(p, resolved) for p in info.policies)
    # A stack policy that declared itself not applicable proved nothing, so it has not passed.
    failing = {v.policy for v in violations} | {n.policy for n in not_applicable if not n.urn}
    passed = tuple(m.name for m in metadata if m.enforcement != "disabled" and m.name not in failing)
    return Evaluation(name, version, metadata, tuple(violations), tuple(not_applicable), passed)


def _resource_types(rules: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    """Which resource types each of the pack's resource rules judges (it returns at once on others)."""
    return {r.name: r.resource_types for r in rules if not r.is_stack_rule}


def _servicers_by_type(name, version, policies, configure, targets):
    """One configured servicer per resource type, holding only the resource policies that judge it.

    The SDK converts a resource's inputs once per policy it runs; a policy that ignores the type
    would only convert and return. Same policies, same config, same verdicts, a fraction of the
    work. Policies the pack does not describe (no known targets) run on every type.
    """
    cache: dict[str, Any] = {}

    def for_type(type_token: str):
        if type_token not in cache:
            subset = [p for p in policies if isinstance(p, ResourceValidationPolicy)
                      and type_token in targets.get(p.name, (type_token,))]
            typed = None
            if subset:
                typed = _PolicyAnalyzerServicer(name, version, subset, EnforcementLevel.ADVISORY)
                typed.Configure(configure, None)
            cache[type_token] = typed
        return cache[type_token]

    return for_type


def reconcile_config(info: Any, given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Defaults from each policy's schema, then "all", then per-policy values, as the engine does."""
    resolved: dict[str, dict[str, Any]] = {}
    for p in info.policies:
        schema = _struct_to_dict(p.configSchema.properties)
        props = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        resolved[p.name] = {"enforcementLevel": _LEVEL_NAMES[p.enforcementLevel], "properties": props}

    normalised = {k: _normalise_entry(k, v) for k, v in given.items()}
    all_level = normalised.get("all", {}).get("enforcementLevel")
    if all_level:
        for entry in resolved.values():
            entry["enforcementLevel"] = all_level
    for policy, entry in normalised.items():
        if policy == "all":
            continue
        target = resolved.setdefault(policy, {"enforcementLevel": None, "properties": {}})
        if entry.get("enforcementLevel"):
            target["enforcementLevel"] = entry["enforcementLevel"]
        target["properties"].update(entry.get("properties", {}))

    _validate(info, resolved)
    return resolved


def _normalise_entry(policy: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        if value not in _LEVELS:
            raise ConfigError(f"{policy}: {value!r} is not a valid enforcement level")
        return {"enforcementLevel": value}
    if isinstance(value, Mapping):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
        if level is not None and level not in _LEVELS:
            raise ConfigError(f"{policy}: {level!r} is not a valid enforcement level")
        return {"enforcementLevel": level, "properties": props}
    raise ConfigError(f"{policy}: {value!r} is not a valid value; must be a string or object")


def _validate(info: Any, resolved: Mapping[str, dict[str, Any]]) -> None:
    """Type checks of the configured properties against the policies' schemas."""
    errors = []
    for p in info.policies:
        schema = _struct_to_dict(p.configSchema.properties)
        for key, value in resolved[p.name]["properties"].items():
            expected = schema.get(key, {}).get("type")
            if key not in schema:
                errors.append(f"{p.name}: unknown property {key!r}")
            elif expected and not _has_type(value, expected):
                errors.append(f"{p.name}: {key} must be of type {expected}, got {value!r}")
    if errors:
        raise ConfigError("; ".join(errors))


def _has_type(value: Any, expected: str) -> bool:
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer(),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return checks.get(expected, lambda v: True)(value)


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


def _provider(resource: RecordedResource, plan: Plan) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The provider reference is "<urn>::<id>"; the provider's own inputs come from the plan."""
    if not resource.provider:
        return None
    urn = resource.provider.rsplit("::", 1)[0]
    try:
        provider = plan.by_urn(urn)
    except LookupError:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
    )


def _analyze_request(resource: RecordedResource, plan: Plan) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        properties=_struct(resource.inputs),
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
    )
    provider = _provider(resource, plan)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def _stack_request(plan: Plan) -> analyzer_pb2.AnalyzeStackRequest:
    request = analyzer_pb2.AnalyzeStackRequest()
    for r in plan.resources:
        item = analyzer_pb2.AnalyzerResource(
            type=r.type,
            properties=_struct(r.inputs),
            urn=r.urn,
            name=r.name,
            options=_options(r),
            parent=r.parent or "",
            dependencies=list(r.dependencies),
        )
        for key, urns in r.property_dependencies.items():
            item.propertyDependencies[key].urns.extend(urns)
        provider = _provider(r, plan)
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
