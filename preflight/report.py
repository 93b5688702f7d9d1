"""One report model for every preflight sub-command, and the JSON form the README documents.

`check` (program + pack), `scan` (plain manifests + the pack's Kubernetes rules) and `report` (a
real preview's engine event log) all end in a `Report`; each output format renders a `Report`.
Waivers are applied here, after evaluation (preflight.waivers): a waived violation moves to
`waived` and no longer counts toward the verdict. `evidence` joins a report with admission
(Kyverno PolicyReports) and live (verify) results. The JSON form is stable: see
preflight/report.schema.json and the README.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from policies.waivers import Waiver
from preflight.evaluation import Evaluation, PolicyMetadata, Violation
from preflight.model import RecordedResource

SCHEMA_VERSION = "2.1"
SEVERITIES = ("critical", "high", "medium", "low", "unspecified")
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIG_KEY = "4dabf18193072939515e22adb298388d"
REDACTED = "[secret]"


@dataclass(frozen=True)
class Location:
    """Where a finding points in the repository: a stack file, a component source or a manifest line."""

    path: str
    line: int = 1


@dataclass(frozen=True)
class InputError:
    """An input that was not read or not judged: the file (or control) it concerns, the line, why.

    Any of these makes the verdict "error": a gate that passes what it did not see is worse than none.
    """

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"

    @classmethod
    def of(cls, err: Any) -> "InputError":
        """From a safe_load.LoadError (or anything with path, line and message)."""
        return cls(err.path, err.line, err.message)


@dataclass(frozen=True)
class ResourceEntry:
    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    location: Location | None = None


@dataclass(frozen=True)
class WaivedFinding:
    violation: Violation
    waiver: Waiver


@dataclass(frozen=True)
class WaiverUse:
    """What became of one waiver of this run's stack."""

    waiver: Waiver
    # applied: it waived findings here; in-force: it covers resources of a real preview, whose pack
    # does not report what it waives; expired: it waives nothing; unused: it matched nothing.
    status: str
    findings: int  # waived here (applied), or that it would cover (expired)


@dataclass(frozen=True)
class EvidenceResult:
    """A result from outside the pack's preview, under the CrossGuard rule it is evidence for."""

    source: str  # admission (a Kyverno PolicyReport) | live (verify)
    rule: str
    resource: str
    status: str  # pass | fail | warn | error | skip
    message: str
    origin: str  # where it was read: the Kyverno policy/rule, or "verify"


@dataclass(frozen=True)
class TrendPoint:
    """Violations per severity in one earlier evidence bundle (--history)."""

    label: str
    by_severity: dict[str, int]


@dataclass(frozen=True)
class Report:
    kind: str  # check | scan | report | verify | evidence
    stack: str | None
    policy_pack: str
    policy_pack_version: str
    resources: tuple[ResourceEntry, ...]
    policies: tuple[PolicyMetadata, ...]
    violations: tuple[Violation, ...]
    passed: tuple[str, ...]
    errors: tuple[InputError, ...] = ()
    locations: dict[str, Location] = field(default_factory=dict)  # urn -> where to point
    waived: tuple[WaivedFinding, ...] = ()
    waivers: tuple[WaiverUse, ...] = ()
    evidence: tuple[EvidenceResult, ...] = ()
    trend: tuple[TrendPoint, ...] = ()

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mandatory)

    @property
    def verdict(self) -> str:
        """error (something was not read or judged) > fail (a mandatory violation) > pass."""
        if self.errors:
            return "error"
        return "fail" if self.mandatory else "pass"

    @property
    def failed(self) -> bool:
        return self.verdict != "pass"

    def policy(self, name: str) -> PolicyMetadata | None:
        return next((p for p in self.policies if p.name == name), None)

    def location_of(self, violation: Violation) -> Location | None:
        return self.locations.get(violation.urn)

    def summary(self) -> dict[str, Any]:
        by_control: Counter[str] = Counter()
        for violation in self.violations:
            meta = self.policy(violation.policy)
            by_control[f"{meta.framework} {meta.control}".strip() if meta else "unknown"] += 1
        return {
            "resources": len(self.resources),
            "policies": len(self.policies),
            "passed": len(self.passed),
            "violations": len(self.violations),
            "mandatory": len(self.mandatory),
            "errors": len(self.errors),
            "waived": len(self.waived),
            "bySeverity": {s: sum(1 for v in self.violations if v.severity == s) for s in SEVERITIES},
            "byEnforcement": dict(sorted(Counter(v.enforcement for v in self.violations).items())),
            "byControl": dict(sorted(by_control.items())),
            "verdict": self.verdict,
        }


def redact(value: Any) -> Any:
    """Inputs as recorded, with every secret replaced, so reports never carry secret values."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return REDACTED
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def resource_entries(resources: tuple[RecordedResource, ...], locations: dict[str, Location] | None = None) -> tuple[ResourceEntry, ...]:
    locations = locations or {}
    return tuple(
        ResourceEntry(r.urn, r.type, r.name, r.parent, redact(r.inputs), locations.get(r.urn)) for r in resources
    )


def from_evaluation(
    kind: str,
    stack: str | None,
    resources: tuple[RecordedResource, ...],
    evaluation: Evaluation,
    locations: dict[str, Location] | None = None,
    errors: tuple[InputError, ...] = (),
    waiver_limit: int | None = None,
) -> Report:
    """The report of an evaluation, with the waiver file applied (`waiver_limit`: the pack config's
    maxDays of policy-waivers-valid where the evaluation did not run that rule)."""
    from preflight.waivers import apply_waivers

    locations = locations or {}
    return apply_waivers(Report(
        kind=kind,
        stack=stack,
        policy_pack=evaluation.pack,
        policy_pack_version=evaluation.version,
        resources=resource_entries(resources, locations),
        policies=evaluation.policies,
        violations=evaluation.violations,
        passed=evaluation.passed,
        errors=errors,
        locations=locations,
    ), waiver_limit)


def _policy_json(p: PolicyMetadata) -> dict[str, Any]:
    return {
        "name": p.name,
        "description": p.description,
        "severity": p.severity,
        "enforcementLevel": p.enforcement,
        "kind": p.kind,
        "framework": p.framework,
        "frameworkVersion": p.framework_version,
        "control": p.control,
        "alsoMapsTo": p.also,
        "tags": list(p.tags),
        "remediation": p.remediation,
        "url": p.url,
    }


def to_json_document(report: Report) -> dict[str, Any]:
    from preflight.compliance import matrix, matrix_json

    def location(loc: Location | None) -> dict[str, Any] | None:
        return {"path": loc.path, "line": loc.line} if loc else None

    def violation(v: Violation) -> dict[str, Any]:
        return {"policy": v.policy, "severity": v.severity, "enforcementLevel": v.enforcement, "urn": v.urn,
                "message": v.message, "location": location(report.location_of(v))}

    return {
        "schemaVersion": SCHEMA_VERSION,
        "kind": report.kind,
        "stack": report.stack,
        "policyPack": {"name": report.policy_pack, "version": report.policy_pack_version},
        "compliance": matrix_json(matrix(report)),
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs, "location": location(r.location)}
            for r in report.resources
        ],
        "policies": [_policy_json(p) for p in report.policies],
        "violations": [violation(v) for v in report.violations],
        "waived": [{**violation(w.violation), "waiver": waiver_json(w.waiver)} for w in report.waived],
        "waivers": [{**waiver_json(u.waiver), "status": u.status, "findings": u.findings} for u in report.waivers],
        "evidence": [{"source": e.source, "rule": e.rule, "resource": e.resource, "status": e.status,
                      "message": e.message, "origin": e.origin} for e in report.evidence],
        "history": [{"label": t.label, "bySeverity": dict(t.by_severity)} for t in report.trend],
        "passed": list(report.passed),
        "errors": [{"path": e.path, "line": e.line, "message": e.message} for e in report.errors],
        "summary": report.summary(),
    }


def waiver_json(w: Waiver) -> dict[str, Any]:
    return {"rule": w.rule, "resources": list(w.resources), "stacks": list(w.stacks), "reason": w.reason,
            "owner": w.owner, "ticket": w.ticket, "expires": w.expires.isoformat(), "source": w.source}
