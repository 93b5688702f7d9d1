"""What a rule receives on the direct path: the SDK's argument classes, attribute for attribute.

ResourceValidationArgs, StackValidationArgs, PolicyResource, PolicyProviderResource,
PolicyResourceOptions and PolicyCustomTimeouts carry these attributes; rules read only them. Like
the SDK's, they compare by identity. `not_applicable` raises the direct path's own signal, which
the rule wrapper lets through as it lets the SDK's through (policies.rule).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from policies.rule import NotApplicableHere

# The servicer never receives stack tags offline (no ConfigureStack call): every policy sees none.
NO_STACK_TAGS = MappingProxyType({})


@dataclass(eq=False)
class Timeouts:
    create_seconds: float = 0
    update_seconds: float = 0
    delete_seconds: float = 0


@dataclass(eq=False)
class Options:
    protect: bool
    ignore_changes: list
    delete_before_replace: bool | None
    aliases: list
    custom_timeouts: Timeouts
    additional_secret_outputs: list
    parent: str | None


@dataclass(eq=False)
class Provider:
    resource_type: str
    props: Any
    urn: str
    name: str


@dataclass(eq=False)
class Resource:
    """A stack rule's view of one resource (the SDK's PolicyResource)."""
    resource_type: str
    props: Any
    urn: str
    name: str
    opts: Options
    provider: Provider | None
    parent: Resource | None
    dependencies: list
    property_dependencies: dict


class Args:
    """ResourceValidationArgs and StackValidationArgs: what a rule reads, and `not_applicable`."""

    def __init__(self, config: Mapping[str, Any] | None, **fields: Any) -> None:
        self.__dict__.update(fields)
        self.stack_tags = NO_STACK_TAGS
        self._config = config if config is not None else {}

    def get_config(self) -> Mapping[str, Any]:
        return self._config

    def not_applicable(self, reason: str | None = None) -> None:
        raise NotApplicableHere(reason)
