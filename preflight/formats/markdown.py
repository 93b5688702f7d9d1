"""Markdown report for pull-request comments and job summaries: the compliance matrix first (counts
per framework, each framework's controls folded), then violations, waived findings and waivers."""
from __future__ import annotations

from preflight.compliance import STATUSES, FrameworkMatrix, matrix
from preflight.formats import control_label, detail, markdown_text, resource_label, violation_order
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
        f"{summary['violations']} violations, {summary['mandatory']} mandatory, {summary['waived']} waived.",
        *_matrix(matrix(report)),
        "",
        "| severity | violations |",
        "| --- | --- |",
        *[f"| {s} | {n} |" for s, n in summary["bySeverity"].items()],
    ]
    if report.violations:
        out += ["", "### Violations", "", "| severity | enforcement | rule | resource | message | control | remediation |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for v in sorted(report.violations, key=violation_order):
            meta = report.policy(v.policy)
            control = control_label(meta)
            remediation = meta.remediation if meta else ""
            out.append(
                f"| {_cell(v.severity)} | {_cell(v.enforcement)} | {_code(v.policy)} | {_cell(resource_label(v.urn))} | "
                f"{_cell(detail(v.message))} | {_cell(control)} | {_cell(remediation)} |"
            )
    if report.waived:
        out += ["", "### Waived", "", "| severity | rule | resource | message | owner | expires | ticket | waiver |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for w in sorted(report.waived, key=lambda w: violation_order(w.violation)):
            v, waiver = w.violation, w.waiver
            out.append(f"| {_cell(v.severity)} | {_code(v.policy)} | {_cell(resource_label(v.urn))} | "
                       f"{_cell(detail(v.message))} | {_cell(waiver.owner)} | {waiver.expires.isoformat()} | "
                       f"{_cell(waiver.ticket)} | {_code(waiver.source)} |")
    if report.waivers:
        out += ["", "### Waivers", "", "| status | rule | owner | expires | findings | waiver |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {u.status} | {_code(u.waiver.rule)} | {_cell(u.waiver.owner)} | {u.waiver.expires.isoformat()} | "
                f"{u.findings} | {_code(u.waiver.source)} |" for u in report.waivers]
    if report.errors:
        out += ["", "### Errors", "", *[f"- {_cell(e)}" for e in report.errors]]
    out += ["", "<details><summary>Rules that passed</summary>", "", *[f"- {_code(name)}" for name in report.passed], "", "</details>"]
    return "\n".join(out) + "\n"


def _matrix(frameworks: tuple[FrameworkMatrix, ...]) -> list[str]:
    out = ["", "### Compliance matrix", "", "| framework | " + " | ".join(STATUSES) + " |",
           "| --- |" + " --- |" * len(STATUSES)]
    for f in frameworks:
        counts = f.counts()
        out.append(f"| {_cell(f'{f.name} {f.version}')} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    for f in frameworks:
        out += ["", f"<details><summary>{_cell(f'{f.name} {f.version}')}: {_cell(f.scope)}</summary>", "",
                "| control | title | status | rules |", "| --- | --- | --- | --- |"]
        for c in f.controls:
            rules = ", ".join(f"{_code(r.name)} {r.status}" + (f" ({len(r.findings)} findings)" if r.findings else "")
                              for r in c.rules)
            out.append(f"| {_cell(c.reference)} | {_cell(c.title)} | {c.status} | {rules} |")
        out += ["", "</details>"]
    return out
