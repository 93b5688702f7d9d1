"""Markdown report for pull-request comments and job summaries."""
from __future__ import annotations

from preflight.formats import control_label, detail, markdown_text, resource_label
from preflight.report import Report

# Every string in the report may come from an input (manifest names, event logs): each is shown
# literally, never as Markdown or HTML a pull-request comment would render.
_cell = markdown_text


def _code(text: str) -> str:
    return f"<code>{markdown_text(text)}</code>"


def render(report: Report, **_: object) -> str:
    summary = report.summary()
    icon = {"pass": "✅", "fail": "❌", "error": "⛔"}[report.verdict]
    target = _code(report.stack) if report.stack else report.kind
    out = [
        f"## {icon} Policy {report.kind} for {target}: {summary['verdict']}",
        "",
        f"{summary['resources']} resources checked against {summary['policies']} policies of "
        f"{_code(f'{report.policy_pack}@{report.policy_pack_version}')}: {summary['passed']} passed, "
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
                f"| {_cell(v.severity)} | {_cell(v.enforcement)} | {_code(v.policy)} | {_cell(resource_label(report, v.urn))} | "
                f"{_cell(detail(v.message))} | {_cell(control)} | {_cell(remediation)} |"
            )
    if report.errors:
        out += ["", "### Errors", "", *[f"- {_cell(e)}" for e in report.errors]]
    out += ["", "<details><summary>Rules that passed</summary>", "", *[f"- {_code(name)}" for name in report.passed], "", "</details>"]
    return "\n".join(out) + "\n"
