"""`report`: the pack's reports from a real `pulumi preview --policy-pack ... --event-log FILE`."""
from __future__ import annotations

from pathlib import Path

from preflight.analyzer import Evaluation, evaluate, load_pack_config
from preflight.commands import UsageError, pack_config_for
from preflight.model import Plan
from preflight.report import Report, from_evaluation
from preflight.stack_files import stack_file_for


def report_from_event_log(event_log: Path, pack_config: Path | None, stack_file: Path | None) -> Report:
    from dataclasses import replace

    from policies import pack
    from preflight.event_log import read_event_log

    if not event_log.is_file():
        raise UsageError(f"event log {event_log} not found")
    events = read_event_log(event_log)
    if pack_config is None and events.stack:
        candidate = stack_file or stack_file_for(events.stack)
        config = pack_config_for(candidate, None) if Path(candidate).is_file() else {}
    else:
        config = load_pack_config(pack_config) if pack_config else {}
    # Metadata (severity, control, remediation) comes from the pack itself, by policy name.
    metadata = evaluate(Plan("preview", events.stack or "", (), {}), config).policies
    severity = {p.name: p.severity for p in metadata}
    violations = tuple(replace(v, severity=severity.get(v.policy, v.severity)) for v in events.policy_events)
    failing = {v.policy for v in violations}
    passed = tuple(p.name for p in metadata if p.enforcement != "disabled" and p.name not in failing)
    evaluation = Evaluation(pack.PACK_NAME, pack.PACK_VERSION, metadata, violations, (), passed)
    return from_evaluation("report", events.stack, events.resources, evaluation)
