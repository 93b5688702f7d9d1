"""Kyverno's PolicyReports joined to a report: what admission and background scans found in the
cluster, each result under the CrossGuard twin of its Kyverno policy.

Input: `kubectl get policyreports,clusterpolicyreports -A -o json` (a List), or one report. Only
`wgpolicyk8s.io/v1alpha2` reports written by Kyverno are read. The file is untrusted and read
through safe_load (size, depth, values). Fail closed, as everywhere:
- a file that is not such a list is a usage error (nothing to join);
- a result this reader cannot place is an error: another engine's, a policy the workload catalogue
  does not generate, a rule that is not one of that policy's (Kyverno's autogen- and
  autogen-cronjob- copies are), a result word Kyverno does not write, no resource;
- Kyverno's own `error` result is an error: the object was not judged.
`fail` becomes a violation of the twin rule at its enforcement level, `warn` an advisory one (both
can then be waived like any other); `pass` and `skip` (a PolicyException applied) are evidence.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from policies.workload_catalog import CATALOG
from preflight.evaluation import Violation
from preflight.report import EvidenceResult, InputError, Report
from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError, load_json, read_text
from preflight.waivers import admitted_object, apply_waivers

API_VERSION = "wgpolicyk8s.io/v1alpha2"
REPORT_KINDS = ("PolicyReport", "ClusterPolicyReport")
LIST_KINDS = ("List", "PolicyReportList", "ClusterPolicyReportList")
RESULTS = ("pass", "fail", "warn", "error", "skip")
AUTOGEN_PREFIXES = ("", "autogen-", "autogen-cronjob-")
MAX_LISTED_ERRORS = 100


class PolicyReportError(Exception):
    """The file is not a list of policy reports."""


def twins() -> dict[str, tuple[str, frozenset[str]]]:
    """Kyverno policy name -> (CrossGuard rule, the rule names Kyverno reports for it)."""
    return {c.kyverno_policy: (c.rule, frozenset(p + r.name for r in c.kyverno_rules for p in AUTOGEN_PREFIXES))
            for c in CATALOG}


def join_policy_reports(report: Report, path: Path, limits: Limits = DEFAULT_LIMITS) -> Report:
    shown = path.as_posix()
    items = _reports(path, shown, limits)
    evidence: list[EvidenceResult] = []
    violations: list[Violation] = []
    errors: list[InputError] = []
    known = twins()
    for index, item in enumerate(items):
        for result, problem in _results(item, f"item {index}", known):
            if problem is not None:
                errors.append(InputError(shown, None, problem))
                continue
            evidence.append(result)
            if result.status in ("fail", "warn"):
                meta = report.policy(result.rule)
                level = "advisory" if result.status == "warn" or meta is None else meta.enforcement
                violations.append(Violation(result.rule, meta.severity if meta else "unspecified", level,
                                            result.resource, f"Kyverno {result.origin}: {result.message}"))
            elif result.status == "error":
                errors.append(InputError(shown, None, f"Kyverno could not judge {result.resource} with "
                                                      f"{result.origin}: {result.message}"))
    if len(errors) > MAX_LISTED_ERRORS:
        errors = [*errors[:MAX_LISTED_ERRORS], InputError(shown, None, f"and {len(errors) - MAX_LISTED_ERRORS} more errors")]
    failed = {v.policy for v in violations}
    joined = replace(report, violations=report.violations + tuple(violations),
                     passed=tuple(p for p in report.passed if p not in failed),
                     evidence=report.evidence + tuple(evidence), errors=report.errors + tuple(errors))
    return apply_waivers(joined)


def _reports(path: Path, shown: str, limits: Limits) -> list[dict]:
    if not path.is_file():
        raise PolicyReportError(f"policy reports {shown} not found")
    try:
        document = load_json(read_text(path, limits, shown), shown, None, limits)
    except LoadError as err:
        raise PolicyReportError(str(err)) from None
    if not isinstance(document, dict):
        raise PolicyReportError(f"{shown}: expected the JSON of kubectl get policyreports,clusterpolicyreports -A -o json")
    if document.get("kind") in REPORT_KINDS:
        document = {"kind": "List", "items": [document]}
    if document.get("kind") not in LIST_KINDS or not isinstance(document.get("items"), list):
        raise PolicyReportError(f"{shown}: expected a List of PolicyReports and ClusterPolicyReports, got kind "
                                f"{str(document.get('kind'))[:60]!r}")
    return document["items"]


def _results(item: Any, where: str, known) -> list[tuple[EvidenceResult | None, str | None]]:
    if not isinstance(item, dict):
        return [(None, f"{where}: not an object")]
    kind, api_version = item.get("kind"), item.get("apiVersion")
    if kind not in REPORT_KINDS or api_version != API_VERSION:
        return [(None, f"{where}: {str(api_version)[:60]} {str(kind)[:60]} is not a {API_VERSION} PolicyReport "
                       "or ClusterPolicyReport")]
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    where = f"{kind} {str(metadata.get('namespace') or '')[:63]}/{str(metadata.get('name'))[:253]}".replace(" /", " ")
    results = item.get("results", [])
    if not isinstance(results, list):
        return [(None, f"{where}: results is not a list")]
    scope = item.get("scope")
    return [pair for i, result in enumerate(results) for pair in _result(result, f"{where} result {i}", scope, known)]


def _result(result: Any, where: str, scope: Any, known) -> list[tuple[EvidenceResult | None, str | None]]:
    if not isinstance(result, dict):
        return [(None, f"{where}: not an object")]
    source, policy, rule, status = (result.get(k) for k in ("source", "policy", "rule", "result"))
    if source != "kyverno":
        return [(None, f"{where}: written by {str(source)[:60]!r}, not Kyverno: its policies have no CrossGuard twin")]
    if status not in RESULTS:
        return [(None, f"{where}: result {str(status)[:40]!r} is not one of {', '.join(RESULTS)}")]
    if policy not in known:
        return [(None, f"{where}: policy {str(policy)[:100]!r} is not one the workload catalogue generates, so no "
                       "CrossGuard rule is its twin")]
    twin, rule_names = known[policy]
    if rule not in rule_names:
        return [(None, f"{where}: rule {str(rule)[:100]!r} is not a rule of Kyverno policy {policy}")]
    resources = result.get("resources") or ([scope] if scope is not None else [])
    named = [_named(r) for r in resources] if isinstance(resources, list) else []
    if not named or None in named:
        return [(None, f"{where}: {policy}/{rule} names no resource (kind, name) it judged")]
    message = result.get("message") if isinstance(result.get("message"), str) else ""
    return [(EvidenceResult("admission", twin, resource, status, message[:1000], f"{policy}/{rule}"), None)
            for resource in named]


def _named(resource: Any) -> str | None:
    if not isinstance(resource, dict):
        return None
    kind, name, namespace = resource.get("kind"), resource.get("name"), resource.get("namespace", "")
    if not (isinstance(kind, str) and kind and isinstance(name, str) and name and isinstance(namespace, str)):
        return None
    return admitted_object(kind[:63], namespace[:63], name[:253])
