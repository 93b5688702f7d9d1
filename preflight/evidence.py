"""`evidence --stack NAME --out DIR`: one report joined from every source, written in every format
with the inputs it was made from, and a SHA256SUMS that `evidence verify DIR` checks.

The report is the stack's offline check, or a real preview's event log (--event-log), joined with
Kyverno's PolicyReports (--policy-reports) and a saved verify report (--verify), with the waivers
applied and, given --history, the trend over earlier bundles. The bundle is written whatever the
verdict (evidence of a failure is evidence too); the exit status is the verdict's. Nothing is
written into a directory that already holds files: a bundle is made once, never amended.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from policies import waivers as waiver_file
from preflight.evidence_verify import SUMS, bundle_files, sums_text
from preflight.formats import renderer
from preflight.report import Report
from preflight.safe_load import DEFAULT_LIMITS, Limits

REPORTS = {"report.json": "json", "report.html": "html", "report.md": "markdown", "report.sarif": "sarif",
           "report.txt": "text"}
BUNDLE_FORMAT = 1


class EvidenceError(Exception):
    """The bundle cannot be written where asked."""


@dataclass(frozen=True)
class Sources:
    event_log: Path | None = None
    policy_reports: Path | None = None
    verify: Path | None = None
    history: Path | None = None


def build(stack: str, sources: Sources, limits: Limits = DEFAULT_LIMITS) -> tuple[Report, dict]:
    """The joined report, and the pack config it was judged with."""
    from preflight.commands import check, pack_config_for, stack_path
    from preflight.event_report import report_from_event_log
    from preflight.evidence_history import history
    from preflight.live_evidence import join_verify
    from preflight.policy_reports import join_policy_reports

    config = pack_config_for(stack_path(stack, None), None)
    if sources.event_log is not None:
        report = report_from_event_log(sources.event_log, None, None, stack, limits)
    else:
        report = check(stack, None, None, None)
    if sources.policy_reports is not None:
        report = join_policy_reports(report, sources.policy_reports, limits)
    if sources.verify is not None:
        report = join_verify(report, sources.verify, limits)
    if sources.history is not None:
        trend, errors = history(sources.history, stack, limits)
        report = replace(report, trend=trend, errors=report.errors + errors)
    return replace(report, kind="evidence"), config


def write(out: Path, stack: str, sources: Sources, limits: Limits = DEFAULT_LIMITS) -> Report:
    from preflight.commands import stack_path

    _empty_directory(out)
    report, config = build(stack, sources, limits)
    for name, fmt in REPORTS.items():
        (out / name).write_text(renderer(fmt)(report), encoding="utf-8")
    inputs = out / "inputs"
    inputs.mkdir()
    copied = {"stack settings": _copy(stack_path(stack, None), inputs),
              "waivers": _copy(waiver_file.WAIVERS_FILE, inputs)}
    (inputs / "policy-pack-config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    copied["policy pack config"] = "inputs/policy-pack-config.json"
    for label, path in (("event log", sources.event_log), ("policy reports", sources.policy_reports),
                        ("verify report", sources.verify)):
        if path is not None:
            copied[label] = _copy(path, inputs)
    (out / "bundle.json").write_text(json.dumps({
        "bundleFormat": BUNDLE_FORMAT, "stack": stack, "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "policyPack": {"name": report.policy_pack, "version": report.policy_pack_version},
        "verdict": report.verdict, "reports": list(REPORTS), "inputs": copied,
        "history": [t.label for t in report.trend],
    }, indent=2) + "\n")
    (out / SUMS).write_text(sums_text(out, bundle_files(out)))
    return report


def _empty_directory(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise EvidenceError(f"--out {out}: exists and is not an empty directory; a bundle is written once, into a new one")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise EvidenceError(f"--out {out}: cannot create it: {err.strerror or err}") from None


def _copy(source: Path, inputs: Path) -> str:
    target = inputs / source.name
    if target.exists():  # two inputs of the same name: keep both
        target = inputs / f"{len(list(inputs.iterdir()))}-{source.name}"
    shutil.copyfile(source, target)
    return target.relative_to(inputs.parent).as_posix()
