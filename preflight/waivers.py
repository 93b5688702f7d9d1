"""Waivers applied to a report, after evaluation: the same file and the same matching as the pack.

- A violation a waiver in force covers moves to `waived` with its waiver and no longer counts
  toward the verdict. "cannot verify at preview" is never waived: it is not a known risk.
- Each waiver of the run's stack is listed with what became of it: applied, expired (waives
  nothing; listed with the findings it would have covered), unused. In a real preview's log the
  pack has already left out what it waived, so a waiver in force that covers resources of the log
  is listed as in-force.
- A waiver file that cannot be used (a missing field, an unknown rule, a bad glob, an expiry
  further ahead than the pack config's maxDays of policy-waivers-valid) is an error, and then no
  waiver applies: a gate that passes on a broken exception list is worse than none.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Mapping

from policies import waivers as waiver_file
from policies.rule import CANNOT_VERIFY
from policies.rules.waivers import CONFIG as LIMIT_CONFIG
from preflight.evaluation import Violation
from preflight.formats import detail
from preflight.report import InputError, Report, WaivedFinding, WaiverUse

LIMIT_RULE = "policy-waivers-valid"
# How a Kubernetes object judged in the cluster (a Kyverno PolicyReport result) is named in a report.
ADMITTED = "admission:"


def admitted_object(kind: str, namespace: str, name: str) -> str:
    return f"{ADMITTED}{kind}:{namespace}/{name}"


def limit_in(pack_config: Mapping[str, Any]) -> int:
    """maxDays of policy-waivers-valid in a raw pack config, else the rule's default."""
    entry = pack_config.get(LIMIT_RULE)
    value = entry.get("maxDays") if isinstance(entry, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else LIMIT_CONFIG["maxDays"]["default"]


def apply_waivers(report: Report, limit: int | None = None) -> Report:
    on = waiver_file.today()
    limit = limit if limit is not None else _limit_of(report)
    try:
        loaded = waiver_file.load_shipped()
        problems = loaded.beyond(report.stack, limit, on)
    except waiver_file.WaiverError as err:
        problems = err.problems
    if problems:
        return replace(report, errors=report.errors + tuple(InputError(p.path, p.line, p.message) for p in problems))
    subjects = _Subjects(report)
    kept: list[Violation] = []
    waived: list[WaivedFinding] = []
    for violation in report.violations:
        by = None
        if not detail(violation.message).startswith(CANNOT_VERIFY):
            by = loaded.waiving(violation.policy, report.stack, subjects.of(violation.urn), on)
        if by is None:
            kept.append(violation)
        else:
            waived.append(WaivedFinding(violation, by))
    # Applied again after admission results join a report: what was waived before stays waived.
    waived = [*report.waived, *waived]
    uses = tuple(_use(w, report, waived, subjects, on) for w in loaded.for_stack(report.stack))
    return replace(report, violations=tuple(kept), waived=tuple(waived), waivers=uses)


def _limit_of(report: Report) -> int:
    meta = report.policy(LIMIT_RULE)
    value = meta.config.get("maxDays") if meta is not None else None
    return value if isinstance(value, int) else LIMIT_CONFIG["maxDays"]["default"]


def _use(waiver: waiver_file.Waiver, report: Report, waived: list[WaivedFinding], subjects: "_Subjects",
         on: date) -> WaiverUse:
    if waiver.expired(on):
        would = sum(1 for v in report.violations if waiver.covers(v.policy, report.stack, subjects.of(v.urn)))
        return WaiverUse(waiver, "expired", would)
    applied = sum(1 for w in waived if w.waiver == waiver)
    if applied:
        return WaiverUse(waiver, "applied", applied)
    if report.kind == "report" and any(waiver.covers(waiver.rule, report.stack, subjects.of(r.urn))
                                       for r in report.resources):
        return WaiverUse(waiver, "in-force", 0)
    return WaiverUse(waiver, "unused", 0)


class _Subjects:
    """What each URN of the report is, as waivers match it; "" is the stack as a whole."""

    def __init__(self, report: Report):
        self.resources = {r.urn: r for r in report.resources}
        any_urn = next(iter(self.resources), "")
        self.stack = waiver_file.stack_urn(any_urn) if waiver_file.stack_of(any_urn) else ""

    def of(self, urn: str) -> waiver_file.Subject:
        if not urn:
            return waiver_file.Subject(self.stack)
        if urn.startswith(ADMITTED):
            return waiver_file.Subject(urn, urn.rsplit(":", 1)[1])
        resource = self.resources.get(urn)
        if resource is None:
            return waiver_file.Subject(urn)
        return waiver_file.subject(urn, resource.type, resource.inputs)
