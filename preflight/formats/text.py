"""Terminal summary: totals by severity, then one line per violation (colour only on a terminal)."""
from __future__ import annotations

from preflight.compliance import STATUSES, matrix
from preflight.formats import detail, printable, resource_label
from preflight.report import SEVERITIES, Report

_COLOURS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m", "unspecified": ""}
_RESET = "\033[0m"
_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


def render(report: Report, colour: bool = False, **_: object) -> str:
    def paint(severity: str, text: str) -> str:
        return f"{_COLOURS[severity]}{text}{_RESET}" if colour and _COLOURS.get(severity) else text

    summary = report.summary()
    target = f"stack {printable(report.stack)}" if report.stack else report.kind
    lines = [
        f"preflight {report.kind}: {target}: {summary['resources']} resources, {summary['policies']} policies, "
        f"{summary['passed']} passed, {summary['violations']} violations ({summary['mandatory']} mandatory)",
        "by severity: " + ", ".join(paint(s, f"{s} {n}") for s, n in summary["bySeverity"].items() if n or s != "unspecified"),
    ]
    ordered = sorted(report.violations, key=lambda v: (not v.mandatory, _ORDER.get(v.severity, 9), v.policy, v.urn))
    for v in ordered:
        lines.append(
            f"{paint(v.severity, v.severity.upper()):<10} {printable(v.enforcement):<9} {printable(v.policy)}  "
            f"{printable(resource_label(v.urn))}  {printable(detail(v.message))}"
        )
    for w in sorted(report.waived, key=lambda w: (_ORDER.get(w.violation.severity, 9), w.violation.policy)):
        v = w.violation
        lines.append(f"WAIVED     {printable(v.policy)}  {printable(resource_label(v.urn))}  {printable(detail(v.message))}  "
                     f"(owner {printable(w.waiver.owner)}, expires {w.waiver.expires.isoformat()}, {printable(w.waiver.source)})")
    for use in report.waivers:
        if use.status in ("expired", "unused"):
            lines.append(f"WAIVER     {use.status}: {printable(use.waiver.rule)} ({printable(use.waiver.source)}, "
                         f"expires {use.waiver.expires.isoformat()})")
    for table in matrix(report):
        counts = table.counts()
        lines.append(f"compliance {table.name} {table.version}: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES))
    for error in report.errors:
        lines.append(f"ERROR      {printable(error)}")
    lines.append(f"verdict: {summary['verdict']}")
    return "\n".join(lines) + "\n"
