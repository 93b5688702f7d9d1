"""A single self-contained HTML file for auditors: no scripts, fonts or styles fetched from anywhere.

Order: the compliance matrix first (what an auditor asks), then violations by severity and then
enforcement, waived findings with owner and expiry, the waivers themselves, admission and live
evidence, the trend over earlier bundles, errors, totals and the rules that passed. It prints as
it reads: tables keep their rows whole, status colours survive, nothing is hidden in print.
"""
from __future__ import annotations

from html import escape

from preflight.compliance import matrix
from preflight.formats import control_label, detail, resource_label, violation_order
from preflight.formats.html_matrix import matrix_section
from preflight.formats.trend_svg import trend_svg
from preflight.report import Report

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:80rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem;margin-top:1.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f6f8fa}.pass{color:#1a7f37}.fail{color:#cf222e}
.sev-critical{background:#ffebe9}.sev-high{background:#fff1e5}.sev-medium{background:#fff8c5}
.st{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.8rem;white-space:nowrap}
.st-pass{background:#dafbe1;color:#116329}.st-fail{background:#ffebe9;color:#a40e26}
.st-waived{background:#fff8c5;color:#7d4e00}.st-not-evaluated{background:#ddf4ff;color:#0a3069}
.st-manual{background:#eaeef2;color:#424a53}
code{font-size:.85rem;overflow-wrap:anywhere}ul.findings{margin:.2rem 0;padding-left:1.1rem}
figure{margin:.5rem 0}figcaption{font-size:.85rem;color:#57606a}
@page{size:A4 landscape;margin:12mm}
@media print{
 body{margin:0;max-width:none;font-size:10pt}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2,h3{break-after:avoid}tr,figure{break-inside:avoid}thead{display:table-header-group}
}
"""


def _row(cells: list[str], header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def _table(header: list[str], rows: list[str]) -> list[str]:
    return ["<table><thead>", _row(header, header=True), "</thead><tbody>", *rows, "</tbody></table>"]


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
        f"{s['violations']} violations ({s['mandatory']} mandatory), {s['waived']} waived.</p>",
        *matrix_section(matrix(report)),
        *_violations(report),
        *_waived(report),
        *_waivers(report),
        *_evidence(report),
        *_trend(report),
    ]
    if report.errors:
        parts += ['<h2 id="errors">Errors</h2><ul>', *[f"<li>{e(str(err))}</li>" for err in report.errors], "</ul>"]
    parts += [
        "<h2>Totals by severity</h2>",
        *_table(["severity", "violations"], [_row([e(k), str(v)]) for k, v in s["bySeverity"].items()]),
        "<h2>Totals by control</h2>",
        *_table(["control", "violations"], [_row([e(k), str(v)]) for k, v in s["byControl"].items()]),
        "<h2>Rules that passed</h2>",
        *_table(["rule", "severity", "control", "description"], [
            _row([f"<code>{e(name)}</code>", e(meta.severity if meta else ""), e(control_label(meta)),
                  e(meta.description if meta else "")])
            for name, meta in ((n, report.policy(n)) for n in report.passed)]),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _violations(report: Report) -> list[str]:
    e = escape
    if not report.violations:
        return ['<h2 id="violations">Violations</h2>', '<p class="pass">No violations.</p>']
    rows = []
    for v in sorted(report.violations, key=violation_order):
        meta = report.policy(v.policy)
        rows.append(
            f'<tr class="sev-{e(v.severity)}"><td>{e(v.severity)}</td><td>{e(v.enforcement)}</td>'
            f"<td><code>{e(v.policy)}</code></td><td><code>{e(resource_label(v.urn))}</code></td>"
            f"<td>{e(detail(v.message))}</td><td>{e(control_label(meta))}</td><td>{e(meta.remediation if meta else '')}</td></tr>"
        )
    return ['<h2 id="violations">Violations</h2>',
            *_table(["severity", "enforcement", "rule", "resource", "message", "control", "remediation"], rows)]


def _waived(report: Report) -> list[str]:
    if not report.waived:
        return []
    e = escape
    rows = [_row([e(w.violation.severity), f"<code>{e(w.violation.policy)}</code>",
                  f"<code>{e(resource_label(w.violation.urn))}</code>", e(detail(w.violation.message)),
                  e(w.waiver.owner), e(w.waiver.expires.isoformat()), e(w.waiver.ticket), e(w.waiver.reason),
                  f"<code>{e(w.waiver.source)}</code>"])
            for w in sorted(report.waived, key=lambda w: violation_order(w.violation))]
    return ['<h2 id="waived">Waived findings</h2>', "<p>Accepted risks: not counted toward the verdict until the waiver expires.</p>",
            *_table(["severity", "rule", "resource", "message", "owner", "expires", "ticket", "reason", "waiver"], rows)]


def _waivers(report: Report) -> list[str]:
    if not report.waivers:
        return []
    e = escape
    rows = [_row([f'<span class="st st-{"fail" if u.status == "expired" else "waived"}">{e(u.status)}</span>',
                  f"<code>{e(u.waiver.rule)}</code>", e(", ".join(u.waiver.resources)), e(u.waiver.owner),
                  e(u.waiver.expires.isoformat()), str(u.findings), f"<code>{e(u.waiver.source)}</code>"])
            for u in report.waivers]
    return ['<h2 id="waivers">Waivers</h2>',
            *_table(["status", "rule", "resources", "owner", "expires", "findings", "waiver"], rows)]


def _evidence(report: Report) -> list[str]:
    if not report.evidence:
        return []
    e = escape
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for result in report.evidence:
        by_status = counts.setdefault((result.source, result.rule), {})
        by_status[result.status] = by_status.get(result.status, 0) + 1
    rows = [_row([e(source), f"<code>{e(rule)}</code>",
                  e(", ".join(f"{n} {status}" for status, n in sorted(by_status.items())))])
            for (source, rule), by_status in sorted(counts.items())]
    return ['<h2 id="evidence">Admission and live evidence</h2>',
            "<p>Kyverno PolicyReport results (admission) and verify results (live), under the CrossGuard rule "
            "each is evidence for; failures are among the violations above.</p>",
            *_table(["source", "rule", "results"], rows)]


def _trend(report: Report) -> list[str]:
    if not report.trend:
        return []
    return ['<h2 id="trend">Trend</h2>', trend_svg(report)]
