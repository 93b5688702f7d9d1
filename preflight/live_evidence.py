"""A saved `verify --format json` report joined to a report: live evidence under the same rule names.

The file is untrusted and read through safe_load. It must be a verify report of the same stack;
its failed controls join the violations (mandatory, as verify reports them), its passed controls
become live evidence, and its errors stay errors: a control verify could not read is not a pass.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from preflight.evaluation import Violation
from preflight.formats import detail
from preflight.report import EvidenceResult, InputError, Report
from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError, load_json, read_text

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class LiveEvidenceError(Exception):
    """The file is not a verify report this run can join."""


def join_verify(report: Report, path: Path, limits: Limits = DEFAULT_LIMITS) -> Report:
    shown = path.as_posix()
    if not path.is_file():
        raise LiveEvidenceError(f"verify report {shown} not found")
    try:
        document = load_json(read_text(path, limits, shown), shown, None, limits)
    except LoadError as err:
        raise LiveEvidenceError(str(err)) from None
    _expect(isinstance(document, dict) and document.get("kind") == "verify"
            and str(document.get("schemaVersion", "")).startswith("2."),
            f"{shown}: expected the JSON report of preflight verify (kind verify, schemaVersion 2.x)")
    if document.get("stack") != report.stack:
        return replace(report, errors=report.errors + (InputError(shown, None, (
            f"the verify report is of stack {str(document.get('stack'))[:100]!r}, this report of {report.stack!r}")),))
    violations, evidence = [], []
    for v in _list(document, "violations", shown):
        fields = [v.get(k) if isinstance(v, dict) else None for k in ("policy", "severity", "enforcementLevel", "urn", "message")]
        _expect(all(isinstance(f, str) for f in fields) and fields[2] in LEVELS,
                f"{shown}: a violation is not an object of text policy, severity, enforcementLevel, urn, message")
        violations.append(Violation(*fields))
        evidence.append(EvidenceResult("live", fields[0], fields[3], "fail", detail(fields[4])[:1000], "verify"))
    passed = _list(document, "passed", shown)
    _expect(all(isinstance(p, str) for p in passed), f"{shown}: passed is not a list of rule names")
    evidence += [EvidenceResult("live", name, "(deployed account)", "pass", "", "verify") for name in passed]
    errors = []
    for e in _list(document, "errors", shown):
        _expect(isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("message"), str),
                f"{shown}: an error is not an object of text path and message")
        errors.append(InputError(e["path"], e.get("line") if isinstance(e.get("line"), int) else None,
                                 f"verify: {e['message']}"))
    failed = {v.policy for v in violations}
    return replace(report, violations=report.violations + tuple(violations),
                   passed=tuple(p for p in report.passed if p not in failed),
                   evidence=report.evidence + tuple(evidence), errors=report.errors + tuple(errors))


def _list(document: dict, key: str, shown: str) -> list[Any]:
    value = document.get(key)
    _expect(isinstance(value, list), f"{shown}: {key} is not a list")
    return value


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise LiveEvidenceError(message)
