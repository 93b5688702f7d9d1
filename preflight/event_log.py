"""Reads the engine event log of a real `pulumi preview --policy-pack ... --event-log FILE`.

`pulumi preview --json` carries no policy results; the event log does, one JSON engine event per
line, shaped as pulumi's sdk/go/common/apitype/events.go says: `sequence`, `timestamp` and exactly
one event field. The log is untrusted input, so it is read through safe_load (bounded size, depth
and values, UTF-8 or a byte-order mark), and:
- a file that cannot be read as text at all, or in which no line is an engine event, is a usage
  error: there is nothing to report on;
- every other line the reader cannot read in full (not JSON, not an object, an event kind or step
  `op` the engine does not write, a field of the wrong type, a resource event without its
  metadata, events of a second stack or a second preview) is an error with its line number, and
  the rest of the log is still read, so the report shows every violation the log does carry;
- an enforcement level it does not know, or none, counts as mandatory and is an error too;
- what the engine itself reports as broken is an error: an internal error, a failed step, an
  error diagnostic (a program or policy pack that failed: the preview stopped before judging
  everything), no resource step or no summary at the end (cut short), an analysis summary naming
  a failed policy whose violation is missing.
Judging what was read (which pack ran, levels against the pack config) is event_report's part.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from pulumi.automation.events import OpType

from preflight.model import RecordedResource
from preflight.report import InputError
from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError, load_json, read_text

# Every event field of apitype.EngineEvent. A line with another one may have carried a policy
# result this reader cannot see, so it is an error rather than skipped.
EVENT_KINDS = frozenset({
    "cancelEvent", "stdoutEvent", "diagnosticEvent", "preludeEvent", "summaryEvent",
    "resourcePreEvent", "resOutputsEvent", "resOpFailedEvent", "policyEvent", "policyRemediationEvent",
    "policyLoadEvent", "policyAnalyzeSummaryEvent", "policyRemediateSummaryEvent",
    "policyAnalyzeStackSummaryEvent", "startDebuggingEvent", "progressEvent", "errorEvent",
})
ENVELOPE = ("sequence", "timestamp")
STEP_OPS = frozenset(op.value for op in OpType)
# Levels as written, compared lower-cased. The engine reports a violation that a remediation left
# standing as mandatory (pkg/resource/deploy), so a "remediate" violation counts as mandatory too.
LEVELS = {"advisory": "advisory", "mandatory": "mandatory", "remediate": "mandatory", "disabled": "disabled"}
# Pulumi's rule for stack names. The name picks the file Pulumi.<stack>.yaml, so nothing else passes.
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
MAX_LISTED_ERRORS = 100
# The engine closes a preview that saw a mandatory violation with this error diagnostic
# (deploymentExecutor.reportExecResult); any other error diagnostic means it stopped short.
ENGINE_VERDICTS = ("preview failed", "update failed")
_COLOUR_DIRECTIVE = re.compile(r"<\{%[^%]*%\}>")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


class EventLogError(Exception):
    """The file is not an engine event log."""


class _BadEvent(Exception):
    """A line that is JSON but not an engine event this reader can read in full."""


class ErrorList:
    """Errors in the order found, at most MAX_LISTED_ERRORS of them listed and the rest counted: a
    log of junk lines would otherwise hold one error per line in memory and in the report."""

    def __init__(self, shown: str, listed: tuple[InputError, ...] = (), unlisted: int = 0):
        self.shown, self.items, self.unlisted = shown, list(listed), unlisted

    def add(self, line: int | None, message: str, path: str | None = None) -> None:
        if len(self.items) < MAX_LISTED_ERRORS:
            self.items.append(InputError(path or self.shown, line, message))
        else:
            self.unlisted += 1

    def first(self) -> InputError | None:
        return self.items[0] if self.items else None

    def listed(self) -> tuple[InputError, ...]:
        more = (InputError(self.shown, None, f"{self.unlisted} more errors not listed"),) if self.unlisted else ()
        return tuple(self.items) + more


@dataclass(frozen=True)
class PolicyRecord:
    """One policyEvent: a violation (or a rule that could not judge) as the engine reported it."""

    line: int
    policy: str
    pack: str
    version: str
    level: str  # advisory, mandatory or disabled
    urn: str  # "" for the stack as a whole
    message: str


@dataclass(frozen=True)
class PackMention:
    """A line on which a policy pack reported something: a violation, a remediation or a summary."""

    line: int
    pack: str
    version: str


@dataclass(frozen=True)
class PreviewEvents:
    stack: str | None
    stack_line: int | None  # the first line naming the stack
    resources: tuple[RecordedResource, ...]
    policy_events: tuple[PolicyRecord, ...]
    # Packs the summary event says ran, name -> version as written (newer engines prefix a "v");
    # None when the log has no summary event.
    summary_packs: Mapping[str, str] | None
    summary_line: int | None
    pack_mentions: tuple[PackMention, ...]
    errors: tuple[InputError, ...]  # the listed ones
    unlisted_errors: int


def read_event_log(path: Path, limits: Limits = DEFAULT_LIMITS) -> PreviewEvents:
    """Reads a whole event log; raises LoadError or EventLogError only when none of it is usable."""
    shown = path.as_posix()
    reader = _Reader(shown, limits)
    for number, line in _lines(read_text(path, limits, shown)):
        if line.strip():
            reader.read_line(number, line)
    return reader.finish()


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Numbered lines, one at a time: a list of millions of short lines would outweigh the file.

    Only "\n" ends an event; JSON strings may hold other characters str.splitlines() splits on.
    """
    start, number = 0, 1
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield number, text[start:end]
        start, number = end + 1, number + 1


_JSON_TYPES = {type(None): "null", bool: "true or false", int: "a whole number", float: "a number",
               str: "a string", list: "a list", dict: "an object"}


def _kind_of(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _quoted(text: str, limit: int = 80) -> str:
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def _typed(source: Mapping[str, Any], key: str, expected: type, where: str, required: bool) -> Any:
    """source[key] when it has the expected JSON type; null counts as absent, as Go decodes it."""
    value = source.get(key)
    if value is None:
        if required:
            raise _BadEvent(f"{where}{key} is missing")
        return None
    if type(value) is not expected:  # exact: true is no number, 1.5 no whole number
        raise _BadEvent(f"{where}{key} is {_kind_of(value)}, expected {_JSON_TYPES[expected]}")
    return value


def _text(source: Mapping[str, Any], key: str, where: str = "", required: bool = False) -> str:
    value = _typed(source, key, str, where, required) or ""
    if required and not value:
        raise _BadEvent(f"{where}{key} is empty")
    return value


def _object(source: Mapping[str, Any], key: str, where: str = "", required: bool = False) -> dict | None:
    return _typed(source, key, dict, where, required)


def _flag(source: Mapping[str, Any], key: str, where: str) -> bool:
    return bool(_typed(source, key, bool, where, False))


def _names(source: Mapping[str, Any], key: str, where: str = "") -> list[str]:
    names = _typed(source, key, list, where, False) or []
    for name in names:
        if type(name) is not str:
            raise _BadEvent(f"{where}{key} holds {_kind_of(name)}, expected policy names")
    return names


def _least_values(line: str) -> int:
    """How many values a JSON text holds at least (one per comma), counted without parsing it."""
    return _JSON_STRING.sub('""', line).count(",")


class _Reader:
    """The state of one pass over a log: what was read so far, and what could not be."""

    def __init__(self, shown: str, limits: Limits):
        self.shown, self.limits = shown, limits
        self.recognised = 0
        self.steps = 0  # resource step events read
        self.stack: str | None = None
        self.stack_line: int | None = None
        self.resources: dict[str, RecordedResource] = {}
        self.policy_events: list[PolicyRecord] = []
        self.pack_mentions: list[PackMention] = []
        self.summary_packs: dict[str, str] | None = None
        self.summary_line: int | None = None
        # (line, pack, policy, urn) of each failed policy an analysis summary lists; urn None: a stack policy.
        self.failures: list[tuple[int, str, str, str | None]] = []
        self.error_diagnostics: list[tuple[int, str]] = []
        self.errors = ErrorList(shown)
        self.handlers = {
            "resourcePreEvent": self._resource_step,
            "resOutputsEvent": self._resource_step,
            "resOpFailedEvent": self._failed_step,
            "policyEvent": self._policy_event,
            "policyRemediationEvent": self._remediation,
            "policyAnalyzeSummaryEvent": self._analysis_summary,
            "policyRemediateSummaryEvent": self._analysis_summary,
            "policyAnalyzeStackSummaryEvent": self._analysis_summary,
            "summaryEvent": self._summary,
            "errorEvent": self._engine_error,
            "diagnosticEvent": self._diagnostic,
        }

    def read_line(self, number: int, line: str) -> None:
        try:
            self._event(number, self._json(number, line))
        except LoadError as err:
            self.errors.add(err.line or number, err.message)
        except _BadEvent as err:
            self.errors.add(number, str(err))

    def _json(self, number: int, line: str) -> Any:
        """One event, its values limited as a YAML document's are; JSON has no aliases, so the file
        size already bounds the log as a whole."""
        # Refused before json.loads would build millions of objects; only a line that long can hold that many.
        if len(line) > self.limits.max_nodes and _least_values(line) > self.limits.max_nodes:
            raise LoadError(self.shown, number, f"more than {self.limits.max_nodes} values in one event "
                            "(raise --max-nodes to read it)")
        # Repeated keys (two enforcement levels) and NaN, which Go's encoder never writes, are refused too.
        return load_json(line, self.shown, number, self.limits)

    def _event(self, number: int, event: Any) -> None:
        if type(event) is not dict:
            raise _BadEvent(f"{_kind_of(event)} where an engine event (a JSON object) belongs")
        for key in ENVELOPE:
            _typed(event, key, int, "", False)
        kinds = [key for key in event if key not in ENVELOPE]
        if len(kinds) != 1:
            found = ", ".join(_quoted(k, 40) for k in kinds[:5]) or "none"
            raise _BadEvent(f"an engine event carries exactly one event field; this line has {len(kinds)} ({found})")
        kind = kinds[0]
        if kind not in EVENT_KINDS:
            raise _BadEvent(f"unknown event kind {_quoted(kind, 40)}: it may carry a policy result this gate cannot read")
        self.recognised += 1
        body = _object(event, kind, required=True)
        handler = self.handlers.get(kind)
        if handler:
            try:
                handler(number, body)
            except _BadEvent as err:
                raise _BadEvent(f"{kind}: {err}") from None

    def _urn(self, number: int, urn: str, where: str) -> str:
        """A URN's stack must be the one stack of this log."""
        parts = urn.split("::")
        if not urn.startswith("urn:pulumi:") or len(parts) < 4:
            raise _BadEvent(f"{where} {_quoted(urn)} is not a Pulumi URN")
        stack = parts[0][len("urn:pulumi:"):]
        if not STACK_NAME.fullmatch(stack):
            raise _BadEvent(f"{where} names stack {_quoted(stack)}, which is not a stack name")
        if self.stack is None:
            self.stack, self.stack_line = stack, number
        elif stack != self.stack:
            raise _BadEvent(f"{where} is of stack {_quoted(stack)}, but line {self.stack_line} is of stack "
                            f"{_quoted(self.stack)}: a log holds one preview of one stack")
        return urn

    def _step(self, number: int, body: dict) -> tuple[str, str, str, dict]:
        """(op, urn, type, state) of a step's metadata; the state is the new one, else the old one."""
        metadata = _object(body, "metadata", required=True)
        op = _text(metadata, "op", "metadata.", required=True)
        if op not in STEP_OPS:
            raise _BadEvent(f"metadata.op {_quoted(op, 40)} is not a step the engine writes")
        urn = self._urn(number, _text(metadata, "urn", "metadata.", required=True), "metadata.urn")
        type_token = _text(metadata, "type", "metadata.", required=True)
        states = {key: _object(metadata, key, "metadata.") for key in ("new", "old")}
        state = states["new"] if states["new"] is not None else states["old"]
        if state is None:
            raise _BadEvent("metadata has neither a new nor an old state")
        if _text(state, "urn", "metadata state.") not in ("", urn):
            raise _BadEvent("the state's urn differs from metadata.urn")
        return op, urn, type_token, state

    def _resource_step(self, number: int, body: dict) -> None:
        _, urn, type_token, state = self._step(number, body)
        where = "metadata state."
        resource = RecordedResource(
            urn=urn,
            type=type_token,
            name=urn.rsplit("::", 1)[-1],
            custom=_flag(state, "custom", where),  # omitted when false
            inputs=dict(_object(state, "inputs", where) or {}),
            parent=_text(state, "parent", where) or None,
            provider=_text(state, "provider", where) or None,
            protect=_flag(state, "protect", where),
        )
        self.steps += 1
        if type_token != "pulumi:pulumi:Stack":
            self.resources.setdefault(urn, resource)

    def _failed_step(self, number: int, body: dict) -> None:
        op, urn, _, _ = self._step(number, body)
        raise _BadEvent(f"the engine reports that step {op!r} failed for {urn}; its policies may not have run")

    def _engine_error(self, number: int, body: dict) -> None:
        raise _BadEvent(f"the engine reports an internal error: {_quoted(_text(body, 'error'), 200)}")

    def _diagnostic(self, number: int, body: dict) -> None:
        message = _text(body, "message")
        if _text(body, "severity") == "error":
            self.error_diagnostics.append((number, _COLOUR_DIRECTIVE.sub("", message).strip()))

    def _mention(self, number: int, body: dict) -> tuple[str, str]:
        pack = _text(body, "policyPackName", required=True)
        version = _text(body, "policyPackVersion")
        self.pack_mentions.append(PackMention(number, pack, version))
        return pack, version

    def _resource_urn(self, number: int, body: dict) -> str:
        urn = _text(body, "resourceUrn")
        return self._urn(number, urn, "resourceUrn") if urn else ""

    def _policy_event(self, number: int, body: dict) -> None:
        policy = _text(body, "policyName", required=True)
        urn = self._resource_urn(number, body)
        message = _text(body, "message")
        written = _text(body, "enforcementLevel")
        pack, version = self._mention(number, body)
        level = self._level(number, policy, written)
        self.policy_events.append(PolicyRecord(number, policy, pack, version, level, urn, message))

    def _level(self, number: int, policy: str, written: str) -> str:
        level = LEVELS.get(written.strip().lower())
        if level is None:
            said = f"enforcement level {_quoted(written, 40)}" if written else "no enforcement level"
            self.errors.add(number, f"policyEvent of {policy} has {said} ({', '.join(LEVELS)} are known); "
                            "counted as mandatory")
            return "mandatory"
        return level

    def _remediation(self, number: int, body: dict) -> None:
        _text(body, "policyName", required=True)
        self._resource_urn(number, body)
        self._mention(number, body)

    def _analysis_summary(self, number: int, body: dict) -> None:
        urn = self._resource_urn(number, body)
        failed = _names(body, "failed")
        _names(body, "passed")
        pack, _ = self._mention(number, body)
        self.failures += [(number, pack, policy, urn or None) for policy in failed]

    def _summary(self, number: int, body: dict) -> None:
        if self.summary_line is not None:
            raise _BadEvent(f"a second summary event (line {self.summary_line} already ended a preview): "
                            "a log holds one preview")
        self.summary_packs, self.summary_line = _policy_packs(body), number

    def _missing_violations(self) -> None:
        """A failed policy in an analysis summary whose violation the log lacks: events were lost."""
        on_resource = {(e.pack, e.policy, e.urn) for e in self.policy_events}
        anywhere = {(e.pack, e.policy) for e in self.policy_events}
        for number, pack, policy, urn in self.failures:
            found = (pack, policy, urn) in on_resource if urn else (pack, policy) in anywhere
            if not found:
                on = f" on {urn}" if urn else ""
                self.errors.add(number, f"the engine's analysis summary says {policy} of {pack} failed{on}, "
                                "but the log holds no violation of it (events lost?)")

    def _unexplained_errors(self) -> None:
        """Error diagnostics other than the engine's verdict on a mandatory violation the log holds."""
        mandatory = any(e.level == "mandatory" for e in self.policy_events)
        for number, message in self.error_diagnostics:
            if not (mandatory and message in ENGINE_VERDICTS):
                self.errors.add(number, f"the engine reports an error: {_quoted(message, 200)}; the preview stopped "
                                "before every resource was judged")

    def finish(self) -> PreviewEvents:
        if not self.recognised:
            first = self.errors.first()
            raise EventLogError(f"{self.shown}: not an engine event log, no engine events found "
                                "(write one with pulumi preview --event-log FILE)"
                                + (f"; line {first.line}: {first.message}" if first else ""))
        self._missing_violations()
        self._unexplained_errors()
        if not self.steps:
            self.errors.add(None, "no resource step events: the preview registered nothing, so nothing was judged")
        if self.summary_line is None:
            self.errors.add(None, "no summary event: the preview did not finish, or the log was cut short")
        return PreviewEvents(
            stack=self.stack,
            stack_line=self.stack_line,
            resources=tuple(self.resources.values()),
            policy_events=tuple(self.policy_events),
            summary_packs=self.summary_packs,
            summary_line=self.summary_line,
            pack_mentions=tuple(self.pack_mentions),
            errors=tuple(self.errors.items),
            unlisted_errors=self.errors.unlisted,
        )


def _policy_packs(summary: dict) -> dict[str, str]:
    """The summary's pack -> version map. The engine writes the key as "PolicyPacks" (a JSON tag once
    forgotten) and Go reads it in any case, so any spelling counts, but only one."""
    keys = [key for key in summary if key.lower() == "policypacks"]
    if len(keys) > 1:
        raise _BadEvent(f"summaryEvent names its policy packs twice ({', '.join(keys)})")
    packs = _object(summary, keys[0], "summaryEvent.") if keys else None
    for name, version in (packs or {}).items():
        if type(version) is not str:
            raise _BadEvent(f"summaryEvent.{keys[0]}.{_quoted(name, 40)} is {_kind_of(version)}, expected a version")
    return dict(packs or {})
