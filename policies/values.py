"""Reading resource properties with an explicit decision about values unknown at preview.

The SDK hands rules a proxy that raises UnknownValueError when a rule reads a value the engine
cannot know yet. Rules make one of two choices, by the helper they call:
- a *presence* check (`is_set`) treats an unknown value as set: something will be there;
- a *value* check (`get` and everything else) lets UnknownValueError escape, and the rule wrapper
  turns it into a "cannot verify at preview" violation at the rule's own enforcement level.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

__all__ = ["UnknownValueError", "get", "is_set", "as_list", "json_document", "truthy", "is_true", "known"]


def get(props: Any, *path: Any, default: Any = None) -> Any:
    """The value at `path`, `default` where any step is missing; raises UnknownValueError on unknowns."""
    node = props
    for step in path:
        if isinstance(step, int):
            if not _is_sequence(node) or step >= len(node):
                return default
            node = node[step]
        else:
            if not isinstance(node, Mapping):
                return default
            node = node.get(step)
        if node is None:
            return default
    return node


def is_set(props: Any, *path: Any) -> bool:
    """Presence check: an unknown value counts as set, a missing, null or empty one does not."""
    try:
        value = get(props, *path)
    except UnknownValueError:
        return True
    # Emptiness by length: comparing the SDK's dict proxy with {} reads every value inside it, and
    # an unknown nested there would raise instead of counting as set.
    if isinstance(value, (Mapping, str)) or _is_sequence(value):
        return len(value) > 0
    return value is not None


def known(props: Any, *path: Any) -> tuple[bool, Any]:
    """(True, value) when the value is known, (False, None) when it is unknown at preview.

    For rules that decide explicitly what an unknown means at that place.
    """
    try:
        return True, get(props, *path)
    except UnknownValueError:
        return False, None


def as_list(value: Any) -> list[Any]:
    """IAM and Kubernetes fields accept one value or a list; rules always see a list."""
    if value is None:
        return []
    if isinstance(value, str) or isinstance(value, Mapping):
        return [value]
    return list(value)


def json_document(props: Any, key: str) -> Any:
    """A JSON string property (IAM and key policies, addon configuration) parsed; None if absent.

    Unknown raises UnknownValueError (the document is a value the rule must prove), and so does
    reading an unknown embedded in the document's text: the parsed document goes through the SDK's
    own proxy. A document the program passed as an object rather than a string is accepted as is.
    """
    raw = get(props, key)
    if raw is None:
        return None
    if isinstance(raw, str):
        return unknown_checking_proxy(json.loads(raw)) if raw.strip() else None
    return raw


def truthy(value: Any) -> bool:
    """Some AWS inputs are strings ("true") where others are booleans."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_true(props: Any, *path: Any) -> bool:
    return truthy(get(props, *path))


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)
