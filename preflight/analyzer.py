"""Evaluates the policy pack over an offline plan, through pulumi-policy's own analyzer servicer or
through the direct path that calls the same policy objects on the same values without protobuf.

The servicer path is the reference. `PolicyPack(...)` builds a `_PolicyAnalyzerServicer` and serves
it over gRPC to the Pulumi engine. Here the same servicer is built directly and called the way the
engine calls it: `GetAnalyzerInfo`, then `Configure` with the pack config reconciled as the engine
does (schema defaults, then "all", then per-policy entries), then `Analyze` once per resource and
`AnalyzeStack` once. Enforcement levels, config and unknown-value handling therefore behave as in
`pulumi preview`. The direct path (preflight.direct_eval) gives the same results an order of
magnitude faster and is the default; `engine="servicer"` or PREFLIGHT_ENGINE=servicer forces the
reference, and `both` runs the two and fails if they disagree in anything.

Fail closed: what was not judged is an error, never a pass and never a crash. A rule that could not
judge its input reports "cannot judge: ..."; those reports are errors, not violations. Inputs that
cannot be handed to the SDK, and exceptions escaping the servicer, are errors on the resource (the
servicer is then asked again one policy at a time, so the other policies' results are kept).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.rule import CANNOT_JUDGE
from preflight.model import Plan, RecordedResource
from preflight.safe_load import load_json, read_text

if TYPE_CHECKING:
    from preflight.report import InputError

_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}
# How strictly each level holds a rule; remediate blocks like mandatory (the engine stops on both).
LEVEL_STRENGTH = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}
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
    passed: tuple[str, ...]  # enabled policies with no violation or error (stack policies: and applicable)
    errors: tuple[InputError, ...] = ()  # what was not judged: the verdict cannot be "pass"

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mandatory)

    def of(self, policy: str) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.policy == policy)


class ConfigError(ValueError):
    """The pack config does not fit the policies' config schemas (the engine refuses it too)."""


def load_pack_config(path: str | Path) -> dict[str, Any]:
    """Reads a `--policy-pack-config` file, bounded like every other input; it must be a JSON object."""
    shown = Path(path).as_posix()
    config = load_json(read_text(Path(path), shown=shown), shown)
    if not isinstance(config, dict):
        raise ConfigError(f"policy pack config {shown}: expected a JSON object of policy names, got {type(config).__name__}")
    return config


# PREFLIGHT_ENGINE (or `engine=`) chooses how the pack is run: "direct" (the default, fast),
# "servicer" (pulumi-policy's own servicer, the reference) or "both" (each, then a comparison).
ENGINE_VARIABLE = "PREFLIGHT_ENGINE"
ENGINES = ("direct", "servicer", "both")


class EngineMismatch(RuntimeError):
    """The direct path and the servicer disagreed: a defect in the direct path, never a verdict."""


def evaluate(
    plan: Plan,
    config: Mapping[str, Any] | None = None,
    *,
    policies: Sequence[Any] | None = None,
    pack_name: str | None = None,
    pack_version: str | None = None,
    engine: str | None = None,
) -> Evaluation:
    """Runs every policy of the pack (or `policies`) over `plan` with the given pack config."""
    from policies import pack

    chosen = engine or os.environ.get(ENGINE_VARIABLE) or "direct"
    if chosen not in ENGINES:
        raise ConfigError(f"{ENGINE_VARIABLE}={chosen!r}: the engine is one of {', '.join(ENGINES)}")
    policies = list(policies if policies is not None else pack.policies())
    name = pack_name or pack.PACK_NAME
    version = pack_version or pack.PACK_VERSION
    if chosen == "both":
        reference = evaluate(plan, config, policies=policies, pack_name=name, pack_version=version, engine="servicer")
        direct = evaluate(plan, config, policies=policies, pack_name=name, pack_version=version, engine="direct")
        if direct != reference:
            raise EngineMismatch(f"the direct path and the servicer disagree: {_first_difference(direct, reference)}")
        return reference

    servicer = _PolicyAnalyzerServicer(name, version, policies, EnforcementLevel.ADVISORY)
    info = servicer.GetAnalyzerInfo(None, None)
    resolved = reconcile_config(info, config or {})
    configure = _configure_request(resolved)
    servicer.Configure(configure, None)
    reference = ServicerPath(plan, policies, servicer, (name, version, configure))
    if chosen == "servicer":
        found = reference.run()
    else:
        from preflight.direct_eval import run_directly  # not at the top: it builds on this module

        found = run_directly(plan, policies, servicer, reference)

    metadata = tuple(_metadata(p, resolved) for p in info.policies)
    # A stack policy that declared itself not applicable proved nothing, so it has not passed; nor
    # has a policy that could not judge (its "cannot judge" reports are among the violations here),
    # or not evaluate, some input.
    failing = ({v.policy for v in found.violations} | {n.policy for n in found.not_applicable if not n.urn}
               | found.unevaluated)
    passed = tuple(m.name for m in metadata if m.enforcement != "disabled" and m.name not in failing)
    judged, unjudged = _split_unjudged(found.violations, metadata)
    return Evaluation(name, version, metadata, judged, tuple(found.not_applicable), passed,
                      tuple(found.unmarshalled + found.errors) + unjudged)


def _first_difference(direct: Evaluation, reference: Evaluation) -> str:
    for key in Evaluation.__dataclass_fields__:
        mine, theirs = getattr(direct, key), getattr(reference, key)
        if mine != theirs:
            index = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
            return (f"{key}[{index}]: direct {mine[index] if index < len(mine) else 'nothing'!r}, "
                    f"servicer {theirs[index] if index < len(theirs) else 'nothing'!r}")
    return "nothing"


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
        found.add(responses, request.urn)
        if failed:
            found.fail(failed, resource.urn, f"could not evaluate {resource.name}")

    def stack(self, found: Found) -> None:
        stack_request = _stack_request(self.plan, self.structs)
        stack_policies = [p for p in self.policies if isinstance(p, StackValidationPolicy)]
        responses, failed = _run(lambda s: s.AnalyzeStack(stack_request, None), self.servicer, stack_policies,
                                 self.alone)
        found.add(responses, "")
        for policy, error in failed:
            found.fail([(policy, error)], policy, "could not evaluate the stack")


# (policy name, exception) for each policy the servicer could not run.
_Failures = list[tuple[str, Exception]]


@dataclass
class Found:
    """What the servicers answered, and what they could not evaluate."""

    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    unmarshalled: list[InputError] = field(default_factory=list)  # inputs that never reached a policy
    errors: list[InputError] = field(default_factory=list)
    unevaluated: set[str] = field(default_factory=set)  # policies an exception kept from some input

    def add(self, responses: Sequence[Any], urn: str) -> None:
        """Responses about the resource `urn` ("" for the stack)."""
        for response in responses:
            self.violations += _violations(response, default_urn=urn)
            self.not_applicable += [NotApplicable(n.policy_name, urn, n.reason) for n in response.not_applicable]

    def fail(self, failed: _Failures, path: str, what: str) -> None:
        names = ", ".join(policy for policy, _ in failed)
        self.errors.append(_input_error(path, f"{names}: {what} ({_one_line(failed[0][1])})"))
        self.unevaluated |= {policy for policy, _ in failed}


def _split_unjudged(violations: Sequence[Violation],
                   policies: Sequence[PolicyMetadata]) -> tuple[tuple[Violation, ...], tuple[InputError, ...]]:
    """(violations, errors): a violation whose rule says it "cannot judge" the input is an error.

    Such an input was not judged, so the verdict cannot be "pass", and it is no finding about the
    resource either. The SDK puts the policy description before the rule's own message, so that is
    read past.
    """
    descriptions = {p.name: p.description for p in policies}
    kept, errors = [], []
    for violation in violations:
        detail = _rule_message(violation.message, descriptions.get(violation.policy, ""))
        if detail.startswith(CANNOT_JUDGE):
            errors.append(_input_error(violation.urn or violation.policy, f"{violation.policy}: {detail}"))
        else:
            kept.append(violation)
    return tuple(kept), tuple(errors)


def _rule_message(message: str, description: str) -> str:
    prefix = f"{description}\n"
    return message[len(prefix):] if description and message.startswith(prefix) else message


def _run(call: Callable[[Any], Any], servicer: Any, policies: Sequence[Any],
         alone: Callable[[Any], Any]) -> tuple[list[Any], _Failures]:
    """The servicer's responses, and the policies that could not run.

    When an exception escapes the servicer (inputs the SDK cannot convert, a policy that raises),
    each policy is asked alone, so one failure costs only that policy's result.
    """
    try:
        return [call(servicer)], []
    except Exception:  # each policy is asked alone; those that fail again are reported
        return _one_by_one(call, policies, alone)


def _one_by_one(call: Callable[[Any], Any], policies: Sequence[Any],
                alone: Callable[[Any], Any]) -> tuple[list[Any], _Failures]:
    responses, failed = [], []
    for policy in policies:
        try:
            responses.append(call(alone(policy)))
        except Exception as error:  # reported as an error naming the policy and the input
            failed.append((policy.name, error))
    return responses, failed


def _input_error(path: str, message: str) -> InputError:
    from preflight.report import InputError  # not at the top: preflight.report imports this module

    return InputError(path, None, message)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


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
            errors.append(_input_error(resource.urn, f"the inputs of {resource.name} cannot be evaluated "
                                                     f"({_one_line(error)})"))
    return structs, errors


def _resource_types(rules: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    """Which resource types each of the pack's resource rules judges (it returns at once on others)."""
    return {r.name: r.resource_types for r in rules if not r.is_stack_rule}


def judging(policies: Sequence[Any], targets: Mapping[str, tuple[str, ...]], type_token: str) -> list[Any]:
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
            subset = judging(policies, targets, type_token)
            typed = None
            if subset:
                typed = _PolicyAnalyzerServicer(name, version, subset, EnforcementLevel.ADVISORY)
                typed.Configure(configure, None)
            cache[type_token] = (typed, subset) if typed else None
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
