"""The compliance matrix: every control of each framework the pack maps to, with its status, the
rules that claim it, and their findings.

A rule's status in a report:
- fail: a violation of it stands (from the preview, admission or live evidence), at any level;
- waived: its only violations are waived (or, in a real preview's log, a waiver in force covers
  resources of the log: the pack does not report what it waives, so a pass cannot be proven);
- pass: it ran and found nothing (in the preview, or admission or live evidence passed);
- not-evaluated: it did not run here (not applicable offline, disabled, outside a scan), or it
  could not judge something.
A control is pass only when every rule that claims it passed; any fail makes it fail, then any
not-evaluated makes it not-evaluated, then any waived makes it waived. A control no rule claims is
manual: nothing here can show it is met.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from policies.frameworks import CATALOGUES, CLAIMED_ONLY, Catalogue, CatalogueEntry
from preflight.formats import detail
from preflight.report import Report

STATUSES = ("pass", "fail", "waived", "not-evaluated", "manual")
_WORST_FIRST = ("fail", "not-evaluated", "waived", "pass")


@dataclass(frozen=True)
class Finding:
    resource: str
    message: str
    enforcement: str
    waived_by: str | None = None  # the waiver's source, for a waived finding


@dataclass(frozen=True)
class RuleStatus:
    name: str
    status: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class ControlStatus:
    reference: str
    title: str
    status: str
    rules: tuple[RuleStatus, ...]


@dataclass(frozen=True)
class FrameworkMatrix:
    name: str
    version: str
    scope: str
    controls: tuple[ControlStatus, ...]

    def counts(self) -> dict[str, int]:
        counted = Counter(c.status for c in self.controls)
        return {s: counted.get(s, 0) for s in STATUSES}


def matrix(report: Report) -> tuple[FrameworkMatrix, ...]:
    from policies.pack import RULES

    statuses = _rule_statuses(report, [r.name for r in RULES])
    claims: dict[tuple[str, str], list[str]] = {}
    for rule in RULES:
        for control in rule.controls:
            claims.setdefault((control.framework.name, control.reference), []).append(rule.name)
    frameworks = [*CATALOGUES, *(_claimed_only(f, claims) for f in CLAIMED_ONLY)]
    return tuple(FrameworkMatrix(c.framework.name, c.framework.version, c.scope,
                                 tuple(_control(c, e, claims, statuses) for e in c.entries)) for c in frameworks)


def _claimed_only(framework, claims) -> Catalogue:
    references = sorted({ref for name, ref in claims if name == framework.name}, key=_natural)
    return Catalogue(framework, tuple(CatalogueEntry(r, "") for r in references),
                     "only the controls the pack's rules claim")


def _natural(reference: str) -> list:
    return [int(p) if p.isdigit() else p for p in reference.replace("-", ".").split(".")]


def _control(catalogue: Catalogue, entry: CatalogueEntry, claims, statuses) -> ControlStatus:
    names = claims.get((catalogue.framework.name, entry.reference), [])
    rules = tuple(statuses[n] for n in names)
    if not rules:
        status = "manual"
    else:
        status = next(s for s in _WORST_FIRST if s == "pass" or any(r.status == s for r in rules))
    return ControlStatus(entry.reference, entry.title, status, rules)


def _rule_statuses(report: Report, names: list[str]) -> dict[str, RuleStatus]:
    findings: dict[str, list[Finding]] = {n: [] for n in names}
    for v in report.violations:
        findings.setdefault(v.policy, []).append(Finding(v.urn, detail(v.message), v.enforcement))
    for w in report.waived:
        v = w.violation
        findings.setdefault(v.policy, []).append(Finding(v.urn, detail(v.message), v.enforcement, w.waiver.source))
    enabled = {p.name for p in report.policies if p.enforcement != "disabled"}
    passed = set(report.passed) | {e.rule for e in report.evidence if e.status == "pass"}
    covered = {u.waiver.rule for u in report.waivers if u.status == "in-force"}
    statuses = {}
    for name, found in findings.items():
        if any(f.waived_by is None for f in found):
            status = "fail"
        elif found or (name in covered and name in enabled):
            status = "waived"
        elif name in passed:
            status = "pass"
        else:
            status = "not-evaluated"
        statuses[name] = RuleStatus(name, status, tuple(found))
    return statuses


def matrix_json(frameworks: tuple[FrameworkMatrix, ...]) -> list[dict[str, Any]]:
    return [{
        "framework": f.name, "version": f.version, "scope": f.scope, "summary": f.counts(),
        "controls": [{
            "control": c.reference, "title": c.title, "status": c.status,
            "rules": [{"name": r.name, "status": r.status, "findings": [
                {"resource": x.resource, "message": x.message, "enforcementLevel": x.enforcement, "waivedBy": x.waived_by}
                for x in r.findings]} for r in c.rules],
        } for c in f.controls],
    } for f in frameworks]
