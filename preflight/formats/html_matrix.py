"""The compliance matrix as HTML: per framework its counts, then every control with its status,
the rules that claim it and what they found."""
from __future__ import annotations

from html import escape

from preflight.compliance import STATUSES, FrameworkMatrix
from preflight.formats import resource_label


def badge(status: str) -> str:
    return f'<span class="st st-{escape(status)}">{escape(status)}</span>'


def matrix_section(frameworks: tuple[FrameworkMatrix, ...]) -> list[str]:
    e = escape
    parts = ['<h2 id="matrix">Compliance matrix</h2>',
             "<p>A control is <em>pass</em> only when every rule that claims it ran and passed; <em>manual</em> "
             "controls are not checked here.</p>",
             "<table><thead><tr><th>framework</th>" + "".join(f"<th>{badge(s)}</th>" for s in STATUSES) +
             "</tr></thead><tbody>"]
    for f in frameworks:
        counts = f.counts()
        parts.append(f"<tr><td>{e(f.name)} {e(f.version)}</td>" + "".join(f"<td>{counts[s]}</td>" for s in STATUSES) + "</tr>")
    parts.append("</tbody></table>")
    for f in frameworks:
        parts += [f"<h3>{e(f.name)} {e(f.version)}</h3>", f"<p>Catalogue: {e(f.scope)}.</p>",
                  "<table><thead><tr><th>control</th><th>title</th><th>status</th><th>rules and findings</th></tr>"
                  "</thead><tbody>"]
        for c in f.controls:
            parts.append(f"<tr><td>{e(c.reference)}</td><td>{e(c.title)}</td><td>{badge(c.status)}</td>"
                         f"<td>{_rules(c.rules)}</td></tr>")
        parts.append("</tbody></table>")
    return parts


def _rules(rules) -> str:
    e = escape
    cells = []
    for rule in rules:
        found = "".join(
            f"<li><code>{e(resource_label(x.resource))}</code>: {e(x.message)}"
            + (f" (waived by <code>{e(x.waived_by)}</code>)" if x.waived_by else "") + "</li>"
            for x in rule.findings)
        cells.append(f"<code>{e(rule.name)}</code> {badge(rule.status)}"
                     + (f'<ul class="findings">{found}</ul>' if found else ""))
    return "<br>".join(cells)
