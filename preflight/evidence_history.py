"""Earlier evidence bundles (`evidence --history DIR`) as trend points: violations per severity.

DIR holds earlier bundles, one per subdirectory, as the pipeline downloads them from the evidence
bucket. Each must verify (its SHA256SUMS) and be of the same stack: a trend drawn from edited or
foreign evidence would mislead, so either is an error. Oldest first, by the time each was made.
"""
from __future__ import annotations

from pathlib import Path

from preflight.evidence_verify import verify_bundle
from preflight.report import SEVERITIES, InputError, TrendPoint
from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError, load_json, read_text

MAX_BUNDLES = 100


class HistoryError(Exception):
    """--history does not name a directory of bundles."""


def history(directory: Path, stack: str, limits: Limits = DEFAULT_LIMITS) -> tuple[tuple[TrendPoint, ...], tuple[InputError, ...]]:
    if not directory.is_dir():
        raise HistoryError(f"--history {directory}: not a directory of earlier evidence bundles")
    bundles = sorted(p for p in directory.iterdir() if p.is_dir() and not p.is_symlink())
    if len(bundles) > MAX_BUNDLES:
        raise HistoryError(f"--history {directory}: {len(bundles)} bundles; give at most the {MAX_BUNDLES} latest")
    points: list[tuple[str, TrendPoint]] = []
    errors: list[InputError] = []
    for bundle in bundles:
        shown = bundle.as_posix()
        checked = verify_bundle(bundle)
        if not checked.ok:
            errors.append(InputError(shown, None, f"earlier bundle does not verify: {checked.problems[0]}"))
            continue
        try:
            meta = load_json(read_text(bundle / "bundle.json", limits), f"{shown}/bundle.json", None, limits)
            document = load_json(read_text(bundle / "report.json", limits), f"{shown}/report.json", None, limits)
        except LoadError as err:
            errors.append(InputError(err.path, err.line, err.message))
            continue
        point = _point(meta, document, stack)
        if isinstance(point, str):
            errors.append(InputError(shown, None, point))
        else:
            points.append(point)
    return tuple(p for _, p in sorted(points, key=lambda pair: pair[0])), tuple(errors)


def _point(meta, document, stack: str) -> tuple[str, TrendPoint] | str:
    generated = meta.get("generated") if isinstance(meta, dict) else None
    counts = document.get("summary", {}).get("bySeverity") if isinstance(document, dict) else None
    if not isinstance(generated, str) or not isinstance(counts, dict):
        return "earlier bundle has no generated time in bundle.json or no summary.bySeverity in report.json"
    if meta.get("stack") != stack:
        return f"earlier bundle is of stack {str(meta.get('stack'))[:100]!r}, not {stack!r}"
    by_severity = {s: counts.get(s) for s in SEVERITIES}
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in by_severity.values()):
        return "earlier bundle's summary.bySeverity is not a count per severity"
    return generated, TrendPoint(generated[:16].replace("T", " "), by_severity)
