"""One rule = its metadata and a small pure check, in one place; `to_policy` makes the SDK object.

Resource rules check one resource's inputs: `check(resource, config)` yields violation messages.
Stack rules relate resources to each other: `check(stack, config)` yields `Finding`s, each with the
URN it concerns. A check that reads a value unknown at preview lets UnknownValueError escape; the
wrapper reports it as "cannot verify at preview" at the rule's own enforcement level, so an unknown
never passes silently and never gets the SDK's automatic downgrade to advisory. A check that meets a
value of the wrong type lets WrongTypeError escape, and any other exception is a check that could
not finish: both are reported as "cannot judge", so no input can crash the pack or pass unjudged.

Given waivers (the pack in a real preview), a finding a waiver in force covers is not reported: it
must not fail the preview. preflight builds the rules without waivers and applies the same file to
its reports instead, where a waived finding is listed with its waiver (preflight.waivers).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from policies import waivers as waiver_file
from policies.frameworks import Control
from policies.severity import Severity
from policies.values import UnknownValueError, WrongTypeError

CANNOT_VERIFY = "cannot verify at preview"
# Prefix of a violation a rule reports when the input itself cannot be judged (a field of the wrong
# type, a value no rule understands). preflight turns these into errors (verdict error, exit 2), for
# offline runs and for a real preview's event log alike.
CANNOT_JUDGE = "cannot judge"

# What a check raises by design when a value decides nothing: unknown at preview, or of the wrong type.
UNDECIDED = (UnknownValueError, WrongTypeError)

# Where a rule can be evaluated: the offline mock engine sees every resource the program registers
# but only the inputs of remote components (pulumi-eks); a real preview also sees their children.
OFFLINE = "offline and real preview"
REAL_PREVIEW = "real preview (offline: not applicable)"


class NotApplicableHere(Exception):
    """What `args.not_applicable(reason)` raises on the direct path (preflight.direct_eval); the SDK
    raises its own _NotApplicableError. Either passes through the safety net untouched."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason)
        self.reason = reason


def is_not_applicable(error: BaseException) -> bool:
    """Whether `error` is a rule declaring itself not applicable, on either path. The SDK's class is
    looked up only once the SDK is loaded: before that, nothing can have raised it."""
    if isinstance(error, NotApplicableHere):
        return True
    sdk = sys.modules.get("pulumi_policy.policy")
    return sdk is not None and isinstance(error, sdk._NotApplicableError)


class Finding(NamedTuple):
    urn: str | None
    message: str


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    severity: Severity
    controls: tuple[Control, ...]
    tags: tuple[str, ...]
    remediation: str
    url: str
    check: Callable[..., Iterable[Any]]
    # Resource types a resource rule applies to; empty for a stack rule.
    resource_types: tuple[str, ...] = ()
    # JSON-schema properties of the rule's pack config, each with its default.
    config: Mapping[str, dict] = field(default_factory=dict)
    coverage: str = OFFLINE

    @property
    def is_stack_rule(self) -> bool:
        return not self.resource_types

    def to_policy(self, waivers: waiver_file.Waivers | None = None):
        """The SDK policy object (the SDK is imported here: only a real pack or the reference needs it)."""
        from pulumi_policy import (
            PolicyComplianceFramework,
            PolicyConfigSchema,
            ResourceValidationPolicy,
            Severity as SdkSeverity,
            StackValidationPolicy,
        )

        primary = self.controls[0]
        also = "; ".join(c.label() for c in self.controls[1:])
        common = dict(
            name=self.name,
            description=self.description,
            config_schema=PolicyConfigSchema(properties=dict(self.config)) if self.config else None,
            severity=SdkSeverity(self.severity.value),
            framework=PolicyComplianceFramework(
                name=primary.framework.name,
                version=primary.framework.version,
                reference=primary.reference,
                specification=f"also: {also}" if also else None,
            ),
            tags=list(self.tags),
            remediation_steps=self.remediation,
            url=self.url,
        )
        if self.is_stack_rule:
            return StackValidationPolicy(validate=partial(self.validate_stack, waivers), **common)
        return ResourceValidationPolicy(validate=partial(self.validate_resource, waivers), **common)

    def validate_resource(self, waivers, args, report_violation) -> None:
        """The rule over one resource, as the SDK calls a policy's validate (given the waivers first)."""
        if args.resource_type not in self.resource_types:
            return
        if waivers is not None:
            on_resource = waiver_file.subject(args.urn, args.resource_type, args.props)
            report_violation = self._unless_waived(waivers, report_violation, lambda _: on_resource, args.urn)
        try:
            for message in self.check(args, args.get_config()):
                report_violation(message, None)
        except Exception as error:  # the safety net: no check may crash the pack
            if is_not_applicable(error):
                raise
            report_violation(self._unfinished(error), None)

    def validate_stack(self, waivers, args, report_violation) -> None:
        """The rule over the stack, as the SDK calls a policy's validate (given the waivers first)."""
        # An unknown read outside `each_resource` concerns the stack as a whole; left to the SDK it
        # would become an advisory note, so it is reported here at the rule's own level.
        if waivers is not None and args.resources:
            by_urn = {r.urn: r for r in args.resources}
            any_urn = args.resources[0].urn

            def on(urn):
                found = by_urn.get(urn)
                if found is None:  # the stack as a whole
                    return waiver_file.Subject(waiver_file.stack_urn(any_urn))
                return waiver_file.subject(found.urn, found.resource_type, found.props)

            report_violation = self._unless_waived(waivers, report_violation, on, any_urn)
        try:
            for finding in self.check(args, args.get_config()):
                report_violation(finding.message, finding.urn)
        except Exception as error:  # the safety net: no check may crash the pack
            if is_not_applicable(error):
                raise
            report_violation(self._unfinished(error), None)

    def _unless_waived(self, waivers, report_violation, subject_of, any_urn: str):
        """`report_violation`, skipping what a waiver in force covers. A "cannot judge" or "cannot
        verify" report is never waived: a waiver accepts a known risk, not an input nobody judged."""
        stack, on = waiver_file.stack_of(any_urn), waiver_file.today()

        def report(message, urn=None):
            undecided = message.startswith((CANNOT_JUDGE, CANNOT_VERIFY))
            if undecided or waivers.waiving(self.name, stack, subject_of(urn), on) is None:
                report_violation(message, urn)
        return report

    def _unfinished(self, error: Exception) -> str:
        if isinstance(error, UNDECIDED):
            return undecided(error)
        return f"{CANNOT_JUDGE}: rule {self.name} failed ({_exception(error)})"


def undecided(error: UnknownValueError | WrongTypeError) -> str:
    """The message for a read that decided nothing: an unknown cannot be verified, a wrong type cannot be judged."""
    prefix = CANNOT_VERIFY if isinstance(error, UnknownValueError) else CANNOT_JUDGE
    return f"{prefix}: {error.message}"


def each_resource(resources: Iterable[Any], check: Callable[[Any], Iterable[str]]) -> Iterable[Finding]:
    """Runs a per-resource check inside a stack rule, so one resource that cannot be read (an
    unknown, a wrong type, a check that fails on it) does not hide the findings on the others."""
    for resource in resources:
        try:
            for message in check(resource):
                yield Finding(resource.urn, message)
        except UNDECIDED as error:
            yield Finding(resource.urn, undecided(error))
        except Exception as error:  # reported on that resource alone
            if is_not_applicable(error):
                raise
            yield Finding(resource.urn, f"{CANNOT_JUDGE}: the check failed on this resource ({_exception(error)})")


def _exception(error: Exception) -> str:
    """The exception as one short line: its type and the start of its message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0][:200]}" if lines else type(error).__name__


def config_value(config: Mapping[str, Any], rule_config: Mapping[str, dict], key: str) -> Any:
    """The configured value, else the schema default (the engine fills defaults the same way)."""
    if key in config:
        return config[key]
    return rule_config[key]["default"]
