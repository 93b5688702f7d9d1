"""What evaluating the policy pack over a plan yields, and the choice of the path that evaluates it.

Two paths give the same Evaluation. The servicer path (preflight.analyzer) is the reference: the
pack's policies go through pulumi-policy's own analyzer servicer, called the way the Pulumi engine
calls it, so enforcement levels, config and unknown values behave as in `pulumi preview`. The
direct path (preflight.direct_eval) calls the pack's rules on plain values, without the SDK, its
protobuf round trips or the Pulumi runtime it imports, an order of magnitude faster; it is the
default. PREFLIGHT_ENGINE=servicer (or `engine="servicer"`) forces the reference, and `both` runs
the two and fails if they disagree in anything. Policy objects that are not the pack's rules (any
SDK policy, given as `policies=`) always run through the servicer.

Fail closed: what was not judged is an error, never a pass and never a crash. A rule that could not
judge its input reports "cannot judge: ..."; those reports are errors, not violations. Inputs that
cannot be handed to the SDK, and policies that could not run, are errors on the resource.

This module imports nothing of the SDK: a manifest scan loads only what the direct path needs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

from policies.rule import CANNOT_JUDGE
from preflight.model import Plan
from preflight.safe_load import load_json, read_text

if TYPE_CHECKING:
    from policies.rule import Rule
    from preflight.report import InputError

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
# How strictly each level holds a rule; remediate blocks like mandatory (the engine stops on both).
LEVEL_STRENGTH = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}
# The level of a policy that the pack config does not name: the pack's own default.
DEFAULT_LEVEL = "advisory"


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
    rules: Sequence[Rule] | None = None,
    policies: Sequence[Any] | None = None,
    pack_name: str | None = None,
    pack_version: str | None = None,
    engine: str | None = None,
) -> Evaluation:
    """Runs the pack's rules (or `rules`; or SDK `policies`, through the servicer) over `plan`."""
    from policies import pack

    chosen = engine or os.environ.get(ENGINE_VARIABLE) or "direct"
    if chosen not in ENGINES:
        raise ConfigError(f"{ENGINE_VARIABLE}={chosen!r}: the engine is one of {', '.join(ENGINES)}")
    name, version = pack_name or pack.PACK_NAME, pack_version or pack.PACK_VERSION
    evaluated = [p.name for p in (policies if policies is not None else rules if rules is not None else pack.RULES)]
    _refuse_unknown_policies(config or {}, list(dict.fromkeys([r.name for r in pack.RULES] + evaluated)))
    if policies is not None:
        from preflight.analyzer import run_servicer

        return run_servicer(plan, config or {}, list(policies), name, version)
    rules = tuple(rules if rules is not None else pack.RULES)
    if chosen == "both":
        reference = evaluate(plan, config, rules=rules, pack_name=name, pack_version=version, engine="servicer")
        direct = evaluate(plan, config, rules=rules, pack_name=name, pack_version=version, engine="direct")
        if direct != reference:
            raise EngineMismatch(f"the direct path and the servicer disagree: {_first_difference(direct, reference)}")
        return reference
    if chosen == "servicer":
        from preflight.analyzer import run_servicer

        return run_servicer(plan, config or {}, [r.to_policy() for r in rules], name, version)
    from preflight.direct_eval import run_rules

    return run_rules(plan, config or {}, rules, name, version)


def _refuse_unknown_policies(config: Mapping[str, Any], known: Sequence[str]) -> None:
    """A pack config entry for no policy of the pack (a misspelt name) would change nothing, silently:
    the policy meant keeps its level. It is refused, with the names it may have meant."""
    import difflib

    unknown = sorted(set(config) - set(known) - {"all"})
    if unknown:
        said = [f"{name!r}" + (f" (did you mean {', '.join(map(repr, close))}?)"
                               if (close := difflib.get_close_matches(name, known, n=2)) else "")
                for name in unknown[:10]]
        raise ConfigError(f"the policy pack config names {len(unknown)} polic{'y' if len(unknown) == 1 else 'ies'} "
                          f"the pack does not have: {', '.join(said)}")


def _first_difference(direct: Evaluation, reference: Evaluation) -> str:
    for key in Evaluation.__dataclass_fields__:
        mine, theirs = getattr(direct, key), getattr(reference, key)
        if mine != theirs:
            index = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
            return (f"{key}[{index}]: direct {mine[index] if index < len(mine) else 'nothing'!r}, "
                    f"servicer {theirs[index] if index < len(theirs) else 'nothing'!r}")
    return "nothing"


# --- what both paths share --------------------------------------------------------------------------

# (policy name, exception) for each policy that could not run.
Failures = list[tuple[str, Exception]]


@dataclass
class Found:
    """What the policies reported, and what could not be evaluated."""

    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    unmarshalled: list[InputError] = field(default_factory=list)  # inputs that never reached a policy
    errors: list[InputError] = field(default_factory=list)
    unevaluated: set[str] = field(default_factory=set)  # policies an exception kept from some input

    def fail(self, failed: Failures, path: str, what: str) -> None:
        names = ", ".join(policy for policy, _ in failed)
        self.errors.append(input_error(path, f"{names}: {what} ({one_line(failed[0][1])})"))
        self.unevaluated |= {policy for policy, _ in failed}


class Declared(NamedTuple):
    """A policy as the pack declares it: its name, its default level and its config schema's
    properties (numbers as the engine hands them back: floats)."""
    name: str
    level: str
    schema: Mapping[str, Any]


def reconcile_config(declared: Sequence[Declared], given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Defaults from each policy's schema, then "all", then per-policy values, as the engine does."""
    resolved: dict[str, dict[str, Any]] = {}
    for policy in declared:
        props = {k: v["default"] for k, v in policy.schema.items() if isinstance(v, dict) and "default" in v}
        resolved[policy.name] = {"enforcementLevel": policy.level, "properties": props}

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

    _validate(declared, resolved)
    return resolved


def _normalise_entry(policy: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        if value not in LEVELS:
            raise ConfigError(f"{policy}: {value!r} is not a valid enforcement level")
        return {"enforcementLevel": value}
    if isinstance(value, Mapping):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
        if level is not None and level not in LEVELS:
            raise ConfigError(f"{policy}: {level!r} is not a valid enforcement level")
        return {"enforcementLevel": level, "properties": props}
    raise ConfigError(f"{policy}: {value!r} is not a valid value; must be a string or object")


def _validate(declared: Sequence[Declared], resolved: Mapping[str, dict[str, Any]]) -> None:
    """Type checks of the configured properties against the policies' schemas."""
    errors = []
    for policy in declared:
        for key, value in resolved[policy.name]["properties"].items():
            expected = policy.schema.get(key, {}).get("type")
            if key not in policy.schema:
                errors.append(f"{policy.name}: unknown property {key!r}")
            elif expected and not _has_type(value, expected):
                errors.append(f"{policy.name}: {key} must be of type {expected}, got {value!r}")
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


def evaluation(name: str, version: str, metadata: tuple[PolicyMetadata, ...], found: Found) -> Evaluation:
    """The Evaluation of what a path found."""
    # A stack policy that declared itself not applicable proved nothing, so it has not passed; nor
    # has a policy that could not judge (its "cannot judge" reports are among the violations here),
    # or not evaluate, some input.
    failing = ({v.policy for v in found.violations} | {n.policy for n in found.not_applicable if not n.urn}
               | found.unevaluated)
    passed = tuple(m.name for m in metadata if m.enforcement != "disabled" and m.name not in failing)
    judged, unjudged = _split_unjudged(found.violations, metadata)
    return Evaluation(name, version, metadata, judged, tuple(found.not_applicable), passed,
                      tuple(found.unmarshalled + found.errors) + unjudged)


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
            errors.append(input_error(violation.urn or violation.policy, f"{violation.policy}: {detail}"))
        else:
            kept.append(violation)
    return tuple(kept), tuple(errors)


def _rule_message(message: str, description: str) -> str:
    prefix = f"{description}\n"
    return message[len(prefix):] if description and message.startswith(prefix) else message


def input_error(path: str, message: str) -> InputError:
    from preflight.report import InputError  # not at the top: preflight.report imports this module

    return InputError(path, None, message)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__
