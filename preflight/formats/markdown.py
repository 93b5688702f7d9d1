"""Markdown report for pull-request comments and job summaries."""
from __future__ import annotations

from preflight.formats import control_label, detail, resource_label
from preflight.report import Report


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(report: Report, **_: object) -> str:
    summary = report.summary()
    icon = "❌" if report.failed else "✅"
    target = f"`{report.stack}`" if report.stack else report.kind
    out = [
        f"## {icon} Policy {report.kind} for {target}: {summary['verdict']}",
        "",
        f"{summary['resources']} resources checked against {summary['policies']} policies of "
        f"`{report.policy_pack}@{report.policy_pack_version}`: {summary['passed']} passed, "
        f"{summary['violations']} violations, {summary['mandatory']} mandatory.",
        "",
        "| severity | violations |",
        "| --- | --- |",
        *[f"| {s} | {n} |" for s, n in summary["bySeverity"].items()],
    ]
    if report.violations:
        out += ["", "### Violations", "", "| severity | enforcement | rule | resource | message | control | remediation |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for v in report.violations:
            meta = report.policy(v.policy)
            control = control_label(meta)
            remediation = meta.remediation if meta else ""
            out.append(
                f"| {v.severity} | {v.enforcement} | `{v.policy}` | {_cell(resource_label(report, v.urn))} | "
                f"{_cell(detail(v.message))} | {_cell(control)} | {_cell(remediation)} |"
            )
    if report.errors:
        out += ["", "### Errors", "", *[f"- {_cell(e)}" for e in report.errors]]
    out += ["", "<details><summary>Rules that passed</summary>", "", *[f"- `{name}`" for name in report.passed], "", "</details>"]
    return "\n".join(out) + "\n"
