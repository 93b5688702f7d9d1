"""SARIF 2.1.0 for code scanning: one rule per policy, one result per violation, located in the repo."""
from __future__ import annotations

import hashlib
import json

from preflight.compliance import matrix
from preflight.formats import control_label, detail
from preflight.report import Location, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/"
# GitHub code scanning ranks security results by this numeric property (CVSS-like scale).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "unspecified": "1.0"}


def _level(enforcement: str) -> str:
    return {"mandatory": "error", "advisory": "warning", "remediate": "error"}.get(enforcement, "note")


def _rule(meta) -> dict:
    help_text = f"{meta.description}\n\nControl: {control_label(meta)}\n\nRemediation: {meta.remediation}"
    help_markdown = f"**{meta.description}**\n\n*Control:* {control_label(meta)}\n\n*Remediation:* {meta.remediation}"
    rule = {
        "id": meta.name,
        "name": "".join(part.capitalize() for part in meta.name.split("-")),
        "shortDescription": {"text": meta.description},
        "fullDescription": {"text": meta.description},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": _level(meta.enforcement)},
        "properties": {
            "tags": ["security", *meta.tags],
            "security-severity": SECURITY_SEVERITY.get(meta.severity, "1.0"),
            "precision": "high",
            "control": control_label(meta),
        },
    }
    if meta.url:
        rule["helpUri"] = meta.url
    return rule


def render(report: Report, default_location: Location | None = None, **_: object) -> str:
    fallback = default_location or Location("Pulumi.yaml")
    rules = [_rule(p) for p in report.policies]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [_result(report, v, index, fallback) for v in report.violations]
    # A waived finding stays visible to code scanning as a suppressed alert, with its waiver.
    for w in report.waived:
        result = _result(report, w.violation, index, fallback)
        result["suppressions"] = [{
            "kind": "external", "status": "accepted",
            "justification": f"{w.waiver.reason} (owner {w.waiver.owner}, expires {w.waiver.expires.isoformat()}, "
                             f"{w.waiver.ticket or 'no ticket'}, {w.waiver.source})",
        }]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "preflight",
                "fullName": f"preflight ({report.policy_pack} CrossGuard policy pack)",
                "version": report.policy_pack_version,
                "semanticVersion": report.policy_pack_version,
                "informationUri": TOOL_URI,
                "rules": rules,
            }},
            "automationDetails": {"id": f"preflight/{report.kind}/{report.stack or 'manifests'}/"},
            # Controls per status for each framework; the full matrix is in the JSON, HTML and Markdown reports.
            "properties": {"compliance": {f"{t.name} {t.version}": t.counts() for t in matrix(report)}},
            "results": results,
            "invocations": [{"executionSuccessful": not report.errors, "toolExecutionNotifications": [
                _notification(error) for error in report.errors
            ]}],
        }],
    }
    return json.dumps(document, indent=2) + "\n"


def _result(report: Report, v, index: dict[str, int], fallback: Location) -> dict:
    where = report.location_of(v) or fallback
    location = {"physicalLocation": {"artifactLocation": {"uri": where.path}, "region": {"startLine": max(where.line, 1)}}}
    if v.urn:
        location["logicalLocations"] = [{"fullyQualifiedName": v.urn, "kind": "resource"}]
    result = {
        "ruleId": v.policy,
        "level": _level(v.enforcement),
        "message": {"text": f"{detail(v.message)} [{v.urn or 'stack'}]"},
        "locations": [location],
        # Stable across runs so code scanning tracks one alert per rule and resource.
        "partialFingerprints": {"policyResource/v1": hashlib.sha256(f"{v.policy}|{v.urn}|{detail(v.message)}".encode()).hexdigest()},
        "properties": {"enforcementLevel": v.enforcement, "severity": v.severity},
    }
    if v.policy in index:
        result["ruleIndex"] = index[v.policy]
    return result


def _notification(error) -> dict:
    """An input that was not read or judged, located where SARIF viewers can open it."""
    region = {"startLine": error.line} if error.line else {}
    location = {"physicalLocation": {"artifactLocation": {"uri": error.path}, **({"region": region} if region else {})}}
    return {"level": "error", "message": {"text": str(error)}, "locations": [location]}
