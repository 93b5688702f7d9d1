"""Violations per severity over earlier evidence bundles and this report, as one inline SVG chart:
no script, no font or image fetched, so it renders offline and prints as drawn."""
from __future__ import annotations

from html import escape

from preflight.report import SEVERITIES, Report

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 130, 16, 48
COLOURS = {"critical": "#a40e26", "high": "#cf222e", "medium": "#bf8700", "low": "#0969da", "unspecified": "#6e7781"}


def points(report: Report) -> list[tuple[str, dict[str, int]]]:
    """Earlier bundles, oldest first, then this report."""
    now = {s: sum(1 for v in report.violations if v.severity == s) for s in SEVERITIES}
    return [(t.label, dict(t.by_severity)) for t in report.trend] + [("this report", now)]


def trend_svg(report: Report) -> str:
    series = points(report)
    top = max([1, *(counts.get(s, 0) for _, counts in series for s in SEVERITIES)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(series) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(n: int) -> float:
        return TOP + plot_h - plot_h * n / top

    parts = [f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="violations per severity over bundles">',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#57606a"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#57606a"/>',
             f'<text x="{LEFT - 6}" y="{y(top) + 4:.1f}" font-size="11" text-anchor="end">{top}</text>',
             f'<text x="{LEFT - 6}" y="{y(0) + 4:.1f}" font-size="11" text-anchor="end">0</text>']
    for i, (label, _) in enumerate(series):
        parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" font-size="10" text-anchor="middle">'
                     f'{escape(label[:24])}</text>')
    for rank, severity in enumerate(SEVERITIES):
        coords = " ".join(f"{x(i):.1f},{y(counts.get(severity, 0)):.1f}" for i, (_, counts) in enumerate(series))
        colour = COLOURS[severity]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        parts += [f'<circle cx="{c.split(",")[0]}" cy="{c.split(",")[1]}" r="3" fill="{colour}"/>' for c in coords.split()]
        legend_y = TOP + 14 + rank * 16
        parts += [f'<rect x="{LEFT + plot_w + 16}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>',
                  f'<text x="{LEFT + plot_w + 32}" y="{legend_y}" font-size="11">{severity}</text>']
    parts.append("</svg><figcaption>Violations per severity (waived findings not counted), "
                 "oldest bundle first.</figcaption></figure>")
    return "\n".join(parts)
