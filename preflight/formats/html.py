"""A single self-contained HTML file for auditors: no scripts, fonts or styles fetched from anywhere."""
from __future__ import annotations

from html import escape

from preflight.formats import control_label, detail, resource_label
from preflight.report import Report

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:80rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f6f8fa}.pass{color:#1a7f37}.fail{color:#cf222e}
.sev-critical{background:#ffebe9}.sev-high{background:#fff1e5}.sev-medium{background:#fff8c5}
code{font-size:.85rem;overflow-wrap:anywhere}
"""


def _row(cells: list[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def render(report: Report, **_: object) -> str:
    s = report.summary()
    e = escape
    verdict_class = "pass" if report.verdict == "pass" else "fail"
    title = f"Policy {report.kind}: {report.stack or report.kind}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No external fetch of any kind: the report must open offline, exactly as archived.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)} — <span class=\"{verdict_class}\">{e(s['verdict'].upper())}</span></h1>",
        f"<p>Policy pack <code>{e(report.policy_pack)}@{e(report.policy_pack_version)}</code>: "
        f"{s['resources']} resources, {s['policies']} policies, {s['passed']} passed, "
        f"{s['violations']} violations ({s['mandatory']} mandatory).</p>",
        "<h2>Totals by severity</h2><table>",
        _row(["severity", "violations"], header=True),
        *[_row([e(k), str(v)]) for k, v in s["bySeverity"].items()],
        "</table><h2>Totals by control</h2><table>",
        _row(["control", "violations"], header=True),
        *[_row([e(k), str(v)]) for k, v in s["byControl"].items()],
        "</table>",
        "<h2>Violations</h2>",
    ]
    if report.violations:
        parts += ["<table>", _row(["severity", "enforcement", "rule", "resource", "message", "control", "remediation"], header=True)]
        for v in report.violations:
            meta = report.policy(v.policy)
            control = control_label(meta)
            remediation = meta.remediation if meta else ""
            parts.append(
                f'<tr class="sev-{e(v.severity)}"><td>{e(v.severity)}</td><td>{e(v.enforcement)}</td>'
                f"<td><code>{e(v.policy)}</code></td><td><code>{e(resource_label(report, v.urn))}</code></td>"
                f"<td>{e(detail(v.message))}</td><td>{e(control)}</td><td>{e(remediation)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p class=\"pass\">No violations.</p>")
    if report.errors:
        parts += ["<h2>Errors</h2><ul>", *[f"<li>{e(str(err))}</li>" for err in report.errors], "</ul>"]
    parts += ["<h2>Rules that passed</h2><table>", _row(["rule", "severity", "control", "description"], header=True)]
    for name in report.passed:
        meta = report.policy(name)
        parts.append(_row([f"<code>{e(name)}</code>", e(meta.severity if meta else ""),
                           e(control_label(meta)), e(meta.description if meta else "")]))
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts) + "\n"
