"""The direct path: the pack's rules called on plain Python values, as the servicer path calls them.

What the servicer path does per resource and per policy (marshal the inputs into a Struct, copy it
into a request, read it back, deserialize, wrap in the SDK's unknown-checking proxy, build the SDK's
argument objects, a protobuf diagnostic per violation) happens here once per resource, without the
SDK (preflight.policy_values): the rules are pure functions of what they are given. What it keeps
from the servicer, exactly: the enforcement level each policy reports at after the pack config
(remediate reported as mandatory, disabled not run), each policy's config as the servicer hands it
back (numbers as floats; none when empty), the message with the policy description before it, the
arguments a rule can read (type, props, URN, name, options, provider, config, stack tags; a stack
rule's resources with parents and dependencies linked), `not_applicable`, an unknown read that
escapes a policy (an advisory "can't run policy"), and a policy that raises (the others' results are
kept, the failure is an error naming it).

Inputs this path does not convert itself go to the reference (preflight.analyzer): that resource's
policies, and then the whole stack, run through the servicer. The SDK is imported only then.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

from policies.rule import NotApplicableHere, Rule
from policies.sdk_proxy import UnknownValueError
from preflight import map_order
from preflight.evaluation import (
    DEFAULT_LEVEL,
    Declared,
    Evaluation,
    Found,
    NotApplicable,
    PolicyMetadata,
    Violation,
    evaluation,
    reconcile_config,
)
from preflight.model import Plan, RecordedResource
from preflight.parallel_map import ordered_map
from preflight.policy_values import NotPlain, view
from preflight.rule_args import Args, Options, Provider, Resource, Timeouts

if TYPE_CHECKING:
    from preflight.analyzer import ServicerPath

def run_rules(plan: Plan, config: Mapping[str, Any], rules: Sequence[Rule], name: str, version: str) -> Evaluation:
    """What the servicer path finds for `rules` over `plan` with the pack config `config`, found directly."""
    resolved = reconcile_config([Declared(r.name, DEFAULT_LEVEL, as_struct(dict(r.config))) for r in rules], config)
    run = _Run(plan, rules, resolved, (name, version))
    found = Found()
    delegated = False
    with _collector_paused():
        # Each resource is judged alone (on every core for a large plan), its findings kept in plan order.
        for resource, judged in zip(plan.resources, ordered_map(plan.resources, run.judged)):
            delegated |= not run.record(resource, judged, found)
        if delegated:
            reference = run.reference()
            found.unmarshalled = list(reference.marshalled[1])  # the reference found which inputs cannot be marshalled
            reference.stack(found)
        else:
            run.stack(found)
    return evaluation(name, version, tuple(_metadata(r, resolved) for r in rules), found)


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


def as_struct(value: Any) -> Any:
    """A JSON value as a Struct gives it back: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Mapping):
        return {k: as_struct(v) for k, v in value.items()}
    return [as_struct(v) for v in value]


class _Run:
    """One evaluation: the rules' settings, and each resource's views, built once."""

    def __init__(self, plan: Plan, rules: Sequence[Rule], resolved: Mapping[str, dict], pack: tuple[str, str]) -> None:
        self.plan, self.rules, self.resolved, self.pack = plan, rules, resolved, pack
        self.by_urn: dict[str, RecordedResource] = {}
        for resource in plan.resources:
            self.by_urn.setdefault(resource.urn, resource)  # Plan.by_urn answers with the first
        self.settings = {r.name: self._settings(r) for r in rules}
        self.by_type: dict[str, list[tuple[Rule, str, Any]]] = {}
        self.stack_rules = [self.settings[r.name] for r in rules if r.is_stack_rule and self.settings[r.name]]
        self.stack_views: list[Any] = []  # each resource's props as stack rules see them, in plan order
        self.provider_views: dict[tuple[str, Callable], Provider | None] = {}
        self._reference: ServicerPath | None = None

    def _settings(self, rule: Rule) -> tuple[Rule, str, Any] | None:
        """(rule, the level it reports at, its config) as the servicer runs it; None when disabled."""
        entry = self.resolved[rule.name]
        level = entry["enforcementLevel"] or DEFAULT_LEVEL
        if level == "disabled":
            return None
        # The servicer reads the config back from the Configure request: numbers as floats, none when empty.
        return rule, "mandatory" if level == "remediate" else level, as_struct(entry["properties"]) or None

    def _judging(self, type_token: str) -> list[tuple[Rule, str, Any]]:
        if type_token not in self.by_type:
            self.by_type[type_token] = [self.settings[r.name] for r in self.rules
                                        if self.settings[r.name] and type_token in r.resource_types]
        return self.by_type[type_token]

    def reference(self) -> ServicerPath:
        """The servicer path over the same plan and config, for the inputs this path leaves to it."""
        if self._reference is None:
            from preflight.analyzer import reference

            policies = [r.to_policy() for r in self.rules]
            self._reference = reference(self.plan, policies, *self.pack, self.resolved)
        return self._reference

    # --- resources --------------------------------------------------------------------------------

    def judged(self, resource: RecordedResource) -> tuple[Any, Found] | None:
        """(its props as stack rules see them, what its rules found), or None when the inputs are
        left to the reference. A pure function of the resource: it may run in a worker process."""
        judged_by = self._judging(resource.type)
        try:
            stack_view = view(resource.inputs, map_order.stack_props) if self.stack_rules else None
            if self.stack_rules:
                # Converted now, so that a provider left to the reference is known before the stack runs.
                self._provider(resource, map_order.stack_provider)
            # Converting proves the inputs can be marshalled, so every resource is converted once.
            props = view(resource.inputs, map_order.resource_props) if judged_by or not self.stack_rules else None
            provider = self._provider(resource, map_order.resource_provider) if judged_by else None
        except NotPlain:
            return None
        found = Found()
        if judged_by:
            self._analyze(resource, judged_by, props, provider, found)
        return stack_view, found

    def record(self, resource: RecordedResource, judged: tuple[Any, Found] | None, found: Found) -> bool:
        """Adds what was found on one resource; False when it goes to the reference instead."""
        if judged is None:
            self.reference().resource(resource, found)
            return False
        stack_view, on_resource = judged
        if self.stack_rules:
            self.stack_views.append(stack_view)
        found.violations += on_resource.violations
        found.not_applicable += on_resource.not_applicable
        found.errors += on_resource.errors
        found.unevaluated |= on_resource.unevaluated
        return True

    def _analyze(self, resource: RecordedResource, judged_by: list, props: Any, provider: Any, found: Found) -> None:
        options = _options(resource)
        failed = []
        for rule, level, config in judged_by:
            args = Args(config, resource_type=resource.type, props=props, urn=resource.urn, name=resource.name,
                         opts=options, provider=provider)
            error = self._validate(rule, level, lambda report: rule.validate_resource(None, args, report),
                                   resource.urn, found)
            if error is not None:
                failed.append((rule.name, error))
        if failed:
            found.fail(failed, resource.urn, f"could not evaluate {resource.name}")

    # --- the stack --------------------------------------------------------------------------------

    def stack(self, found: Found) -> None:
        if not self.stack_rules:
            return
        resources = self._stack_resources()
        failed = []
        for rule, level, config in self.stack_rules:
            args = Args(config, resources=list(resources))
            error = self._validate(rule, level, lambda report: rule.validate_stack(None, args, report), "", found)
            if error is not None:
                failed.append((rule.name, error))
        for name, error in failed:
            found.fail([(name, error)], name, "could not evaluate the stack")

    def _stack_resources(self) -> list[Resource]:
        """Every resource as a stack rule sees it, parents and dependencies linked as the servicer links them."""
        made = [Resource(r.type, props, r.urn, r.name, _options(r), self._provider(r, map_order.stack_provider),
                         None, [], {})
                for r, props in zip(self.plan.resources, self.stack_views)]
        by_urn = {made_resource.urn: made_resource for made_resource in made}  # the last of a URN, as there
        for resource, made_resource in zip(self.plan.resources, made):
            made_resource.parent = by_urn.get(resource.parent or "")
            made_resource.dependencies = [by_urn[d] for d in resource.dependencies if d in by_urn]
            keys = tuple(resource.property_dependencies)
            for key in map_order.stack_dependencies(keys) if len(keys) > 1 else keys:
                made_resource.property_dependencies[key] = [
                    by_urn[d] for d in resource.property_dependencies[key] if d in by_urn]
        return made

    # --- both -------------------------------------------------------------------------------------

    def _validate(self, rule: Rule, level: str, run: Callable, urn: str, found: Found) -> Exception | None:
        """Runs one rule into `found` as the servicer does; the exception that escaped it, if any
        (then nothing it reported is kept: the servicer's response is lost with the exception)."""
        violations: list[Violation] = []
        description, severity = rule.description, rule.severity.value

        def report_violation(message: str, violation_urn: str | None = None) -> None:
            if message and not isinstance(message, str):
                raise TypeError("Expected message to be a string")
            if violation_urn is not None and not isinstance(violation_urn, str):
                raise TypeError("Expected urn to be a string")
            violations.append(Violation(rule.name, severity, level, violation_urn or urn,
                                        f"{description}\n{message}" if message else description))

        try:
            run(report_violation)
        except UnknownValueError as unknown:
            name, version = self.pack
            violations.append(Violation(rule.name, "unspecified", "advisory", urn, (
                f"can't run policy '{rule.name}' from policy pack '{name}@v{version}' during preview: "
                f"{unknown.message}")))
        except NotApplicableHere as not_applicable:
            found.violations += violations
            found.not_applicable.append(NotApplicable(rule.name, urn, not_applicable.reason or ""))
            return None
        except Exception as error:  # the reference reports it as an error naming the policy
            return error
        found.violations += violations
        return None

    def _provider(self, resource: RecordedResource, order: Callable) -> Provider | None:
        """The resource's provider as the servicer describes it ("<urn>::<id>", inputs from the plan)."""
        if not resource.provider:
            return None
        urn = resource.provider.rsplit("::", 1)[0]
        key = (urn, order)
        if key not in self.provider_views:
            provider = self.by_urn.get(urn)
            self.provider_views[key] = None if provider is None else Provider(
                provider.type, view(provider.inputs, order), provider.urn, provider.name)
        return self.provider_views[key]


def _options(resource: RecordedResource) -> Options:
    """The options the servicer reads back from the request (preflight.analyzer._options)."""
    return Options(
        resource.protect,
        [],
        resource.delete_before_replace or None,  # "defined" only when set
        [],
        Timeouts(0, 0, 0),
        list(resource.additional_secret_outputs),
        resource.parent or None,
    )


def _metadata(rule: Rule, resolved: Mapping[str, dict[str, Any]]) -> PolicyMetadata:
    """The policy as GetAnalyzerInfo describes it (preflight.analyzer._metadata), with its configured level."""
    primary = rule.controls[0]
    return PolicyMetadata(
        name=rule.name,
        description=rule.description,
        severity=rule.severity.value,
        enforcement=resolved[rule.name]["enforcementLevel"] or DEFAULT_LEVEL,
        kind="stack" if rule.is_stack_rule else "resource",
        framework=primary.framework.name,
        framework_version=primary.framework.version,
        control=primary.reference,
        also="; ".join(c.label() for c in rule.controls[1:]),
        tags=tuple(rule.tags),
        remediation=rule.remediation,
        url=rule.url,
        config=resolved[rule.name]["properties"],
    )
