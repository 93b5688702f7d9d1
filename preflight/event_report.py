"""`report`: the pack's reports from a real `pulumi preview --policy-pack ... --event-log FILE`.

Fail closed: the verdict is pass only when the whole log was read (event_log), this pack at this
version analysed the preview, every violation is of a rule the pack knows and judged its input, at
no weaker level than the pack config of the stack requires, and none is mandatory. Anything else
is an error in the report (verdict error, exit 2), listed beside every violation the log carries:
- the summary event does not name this pack (no pack, or another one, ran), or names another
  version of it; a policy event of another version;
- a violation of a rule the pack does not know (kept in the report, named pack/rule when another
  pack reported it), or a rule that reports it cannot judge its input (`CANNOT_JUDGE`);
- the stack: `--stack` (or the stack file given) and the log disagree; the levels the stack
  requires cannot be known (no `--policy-pack-config` and no stack file); a violation reported at a
  weaker level than that pack config requires (a preview run with another config).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies.rule import CANNOT_JUDGE
from preflight.evaluation import LEVEL_STRENGTH, Evaluation, PolicyMetadata, Violation, evaluate, load_pack_config
from preflight.commands import UsageError, pack_config_for
from preflight.event_log import STACK_NAME, ErrorList, PolicyRecord, PreviewEvents, read_event_log
from preflight.formats import detail
from preflight.model import Plan
from preflight.report import Report, from_evaluation
from preflight.safe_load import DEFAULT_LIMITS, Limits
from preflight.stack_files import stack_file_for


@dataclass(frozen=True)
class RequiredLevels:
    """The pack config the log's levels must meet, and the words that name it in an error."""

    config: dict[str, Any] | None  # None: unknown, levels are not compared
    source: str


def report_from_event_log(event_log: Path, pack_config: Path | None, stack_file: Path | None,
                          stack: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Report:
    from policies import pack

    if not event_log.is_file():
        raise UsageError(f"event log {event_log} not found")
    if stack is not None and not STACK_NAME.fullmatch(stack):
        raise UsageError(f"--stack {stack!r} is not a stack name")
    shown = event_log.as_posix()
    events = read_event_log(event_log, limits)
    errors = ErrorList(shown, events.errors, events.unlisted_errors)
    _check_stack(events, stack, stack_file, errors)
    stack = stack or events.stack
    required = _required_levels(stack, pack_config, stack_file, errors)
    # Metadata (severity, control, remediation) comes from the pack itself, by policy name.
    metadata = evaluate(Plan("preview", stack or "", (), {}), required.config or {}).policies
    _check_pack(events, pack.PACK_NAME, pack.PACK_VERSION, errors)
    violations, unjudged = _judge(events.policy_events, metadata, required, pack.PACK_NAME, errors)
    failing = {v.policy for v in violations} | unjudged
    passed = tuple(p.name for p in metadata if p.enforcement != "disabled" and p.name not in failing)
    evaluation = Evaluation(pack.PACK_NAME, pack.PACK_VERSION, metadata, tuple(violations), (), passed)
    return from_evaluation("report", stack, events.resources, evaluation, errors=errors.listed())


def _stack_named_by(stack_file: Path) -> str | None:
    name = stack_file.name
    return name[len("Pulumi."):-len(".yaml")] if name.startswith("Pulumi.") and name.endswith(".yaml") else None


def _check_stack(events: PreviewEvents, stack: str | None, stack_file: Path | None, errors: ErrorList) -> None:
    """The log must be of the stack the command was asked about, or its levels mean nothing."""
    named_by_file = _stack_named_by(stack_file) if stack_file is not None else None
    asked = ((stack, f"--stack says {stack!r}"),
             (named_by_file, f"--stack-file {stack_file} is for stack {named_by_file!r}"))
    for name, said in asked:
        if name and events.stack and name != events.stack:
            errors.add(events.stack_line, f"the log is of stack {events.stack!r}, but {said}")


def _required_levels(stack: str | None, pack_config: Path | None, stack_file: Path | None,
                     errors: ErrorList) -> RequiredLevels:
    """The given --policy-pack-config, else the stack's own pack config; unknown is an error."""
    if pack_config is not None:
        if not pack_config.is_file():
            raise UsageError(f"policy pack config {pack_config} not found")
        return RequiredLevels(load_pack_config(pack_config), f"--policy-pack-config {pack_config.as_posix()}")
    candidate = stack_file or (stack_file_for(stack) if stack else None)
    if candidate is None:
        errors.add(None, "the log names no stack and neither --stack nor --policy-pack-config was given: "
                   "the enforcement levels its violations must have are unknown")
        return RequiredLevels(None, "")
    if not candidate.is_file():
        errors.add(None, f"no stack file for stack {stack!r}: the enforcement levels its violations must "
                   "have are unknown (give --policy-pack-config)", path=candidate.as_posix())
        return RequiredLevels(None, "")
    return RequiredLevels(pack_config_for(candidate, None), f"the pack config of stack {stack!r}")


def _version(written: str) -> str:
    """Newer engines write a pack's version tag with a "v" in front."""
    return written[1:] if written[:1] in ("v", "V") else written


def _check_pack(events: PreviewEvents, name: str, version: str, errors: ErrorList) -> None:
    """This pack, at this version, must have analysed the preview: the summary event says which ran."""
    if events.summary_packs is not None:
        ran = events.summary_packs.get(name)
        if ran is None:
            packs = [f"{n[:60]} {v[:20]}" for n, v in list(events.summary_packs.items())[:5]]
            listed = ", ".join(packs) + (", ..." if len(events.summary_packs) > 5 else "") or "no policy pack"
            errors.add(events.summary_line, f"the policy pack {name} did not run in this preview (its summary "
                       f"lists {listed}); preview with --policy-pack policies")
        elif _version(ran) != version:
            errors.add(events.summary_line, _version_message(name, ran, version))
    other_versions: dict[str, int] = {}
    for mention in events.pack_mentions:
        if mention.pack == name and _version(mention.version) != version:
            other_versions.setdefault(mention.version, mention.line)
    for written, line in other_versions.items():
        errors.add(line, _version_message(name, written, version))


def _version_message(name: str, written: str, version: str) -> str:
    return (f"the log is of {name} version {written!r}, this pack is {version}: its rules, levels and metadata "
            "may differ; preview again with this pack")


def _judge(records: tuple[PolicyRecord, ...], metadata: tuple[PolicyMetadata, ...], required: RequiredLevels,
           pack_name: str, errors: ErrorList) -> tuple[list[Violation], set[str]]:
    """The log's violations with the pack's severity; (violations, rules that could not judge)."""
    known = {p.name: p for p in metadata}
    violations: list[Violation] = []
    unjudged: set[str] = set()
    for record in records:
        meta = known.get(record.policy) if record.pack == pack_name else None
        name = record.policy if record.pack == pack_name else f"{record.pack}/{record.policy}"
        where = record.urn or "the stack"
        why = detail(record.message)
        if why.lower().startswith(CANNOT_JUDGE):
            errors.add(record.line, f"{name} could not judge {where}: {why[:300]}")
            unjudged.add(name)
            continue
        violations.append(Violation(name, meta.severity if meta else "unspecified", record.level, record.urn, record.message))
        if meta is None:
            errors.add(record.line, f"a violation of {name}, which is not a rule of {pack_name}")
        elif required.config is not None and LEVEL_STRENGTH[record.level] < LEVEL_STRENGTH.get(meta.enforcement, 2):
            errors.add(record.line, f"{name} on {where} was reported {record.level}, but {required.source} "
                       f"requires {meta.enforcement}: the preview ran with another pack config")
    return violations, unjudged
