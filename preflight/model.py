"""What the offline engine records for each registered resource.

This is the contract between preflight's engine (which fills it), the policy evaluation adapter
(which turns it into the SDK's analyzer requests) and the reports. It mirrors the fields of the
engine's RegisterResource request that policies and reports read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    # Inputs as the program passed them, after the SDK serialised them; values not known at preview
    # appear as pulumi.runtime.UNKNOWN (the engine's unknown sentinel string).
    inputs: dict[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    provider: str | None = None
    protect: bool = False
    remote: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    additional_secret_outputs: tuple[str, ...] = ()
    # The physical id the (mock) provider answered with; None for component resources.
    id: str | None = None


@dataclass(frozen=True)
class Plan:
    """Everything one offline run of the program registered, in registration order."""

    project: str
    stack: str
    resources: tuple[RecordedResource, ...]
    outputs: dict[str, Any]

    def by_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> RecordedResource:
        found = [r for r in self.by_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_token} named {name!r}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise LookupError(urn)
