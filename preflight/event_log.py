"""Reads the engine event log of a real `pulumi preview --policy-pack ... --event-log FILE`.

`pulumi preview --json` carries no policy results; the event log does, one JSON engine event per
line. Parsing goes through the Pulumi SDK's own event types (pulumi.automation.events).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pulumi.automation.events import EngineEvent

from preflight.analyzer import Violation
from preflight.model import RecordedResource


class EventLogError(Exception):
    """The file is not an engine event log."""


@dataclass(frozen=True)
class PreviewEvents:
    stack: str | None
    resources: tuple[RecordedResource, ...]
    # Policy events as the engine reported them; severity is filled from the pack's metadata.
    policy_events: tuple[Violation, ...]
    policy_packs: tuple[str, ...]


def _stack_of(urn: str) -> str | None:
    return urn.split("::")[0].removeprefix("urn:pulumi:") if urn.startswith("urn:pulumi:") else None


def read_event_log(path: Path) -> PreviewEvents:
    resources: dict[str, RecordedResource] = {}
    events: list[Violation] = []
    packs: set[str] = set()
    stack = None
    recognised = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = EngineEvent.from_json(json.loads(line))
        except (json.JSONDecodeError, AttributeError, TypeError) as err:
            raise EventLogError(f"{path}:{number}: not an engine event: {err}") from err
        recognised += any(value is not None for key, value in vars(event).items() if key.endswith("_event"))
        if event.resource_pre_event:
            meta = event.resource_pre_event.metadata
            state = meta.new or meta.old
            if meta.type == "pulumi:pulumi:Stack" or not meta.urn:
                continue
            stack = stack or _stack_of(meta.urn)
            resources[meta.urn] = RecordedResource(
                urn=meta.urn,
                type=meta.type,
                name=meta.urn.rsplit("::", 1)[-1],
                custom=bool(state.custom) if state else True,
                inputs=dict(state.inputs or {}) if state else {},
                parent=(state.parent or None) if state else None,
                provider=(state.provider or None) if state else None,
                protect=bool(state.protect) if state else False,
            )
        elif event.policy_event:
            p = event.policy_event
            urn = p.resource_urn or ""
            stack = stack or _stack_of(urn)
            packs.add(f"{p.policy_pack_name}@{p.policy_pack_version}")
            events.append(Violation(policy=p.policy_name, severity="unspecified", enforcement=p.enforcement_level, urn=urn, message=p.message))
    if not recognised:
        raise EventLogError(f"{path}: no engine events found (write one with pulumi preview --event-log FILE)")
    return PreviewEvents(stack, tuple(resources.values()), tuple(events), tuple(sorted(packs)))
