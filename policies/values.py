"""Reading resource properties with an explicit decision about values unknown at preview, and about
values of the wrong type.

The SDK hands rules a proxy that raises UnknownValueError when a rule reads a value the engine
cannot know yet. Rules make one of two choices, by the helper they call:
- a *presence* check (`is_set`) treats an unknown value as set: something will be there;
- a *value* check (`get` and everything else) lets UnknownValueError escape, and the rule wrapper
  turns it into a "cannot verify at preview" violation at the rule's own enforcement level.

Props are untrusted (a manifest from a pull request, a program's inputs): any field may hold a value
of another type. A missing field is the field's default; a field that is present with the wrong
type raises WrongTypeError, which the rule wrapper reports as "cannot judge" (an error, never a
pass). The typed readers (`text`, `flag`, `number`, `mapping`, `objects`, `strings`) say which type
they expect; `at` names where their first argument sits, so messages carry the whole path.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from policies.sdk_proxy import UnknownValueError, unknown_checking_proxy

__all__ = [
    "UnknownValueError", "WrongTypeError", "get", "is_set", "known", "as_list", "json_document", "truthy",
    "is_true", "text", "flag", "number", "mapping", "objects", "strings", "where", "shown",
]


class WrongTypeError(Exception):
    """A present value of a type (or form) the rule cannot judge: `image: 5`, a list where an object belongs."""

    def __init__(self, place: str, value: Any, expected: str):
        self.message = f"{place or 'the value'} is {shown(value)}, not {expected}"
        super().__init__(self.message)


def get(props: Any, *path: Any, default: Any = None, at: str = "") -> Any:
    """The value at `path`, `default` where any step is missing; raises UnknownValueError on unknowns
    and WrongTypeError where a step meets a value that is not an object (or a list, for an index)."""
    if props is None:
        return default
    node = props
    for depth, step in enumerate(path):
        if type(node) is dict and type(step) is str:  # plain props, by far the most common step
            node = node.get(step)
        else:
            node = _step(node, step, path, depth, at)
        if node is None:
            return default
    return node


def _step(node: Any, step: Any, path: tuple, depth: int, at: str) -> Any:
    """One step of `get` into a proxy or a list: the value, None when missing."""
    if isinstance(step, int):
        if not _is_sequence(node):
            raise WrongTypeError(where(at, *path[:depth]), node, "a list")
        return node[step] if step < len(node) else None
    if not isinstance(node, Mapping):
        raise WrongTypeError(where(at, *path[:depth]), node, "an object")
    return node.get(step)


def is_set(props: Any, *path: Any, at: str = "") -> bool:
    """Presence check: an unknown value counts as set, a missing, null or empty one does not."""
    try:
        value = get(props, *path, at=at)
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
    """IAM and AWS fields accept one value or a list; rules always see a list."""
    if value is None:
        return []
    if _is_sequence(value):
        return list(value)
    return [value]


def json_document(props: Any, key: str, at: str = "") -> Any:
    """A JSON string property (IAM and key policies, addon configuration) parsed; None if absent.

    Unknown raises UnknownValueError (the document is a value the rule must prove), and so does
    reading an unknown embedded in the document's text: the parsed document goes through the SDK's
    own proxy. A document the program passed as an object rather than a string is accepted as is.
    Text that is not JSON, or a document that is not an object, raises WrongTypeError.
    """
    raw = get(props, key, at=at)
    if isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            raw = unknown_checking_proxy(json.loads(raw))
        except (ValueError, RecursionError):
            raise WrongTypeError(where(at, key), raw, "a JSON document") from None
    if raw is not None and not isinstance(raw, Mapping):
        raise WrongTypeError(where(at, key), raw, "a JSON object")
    return raw


def truthy(value: Any) -> bool:
    """Some AWS inputs are strings ("true") where others are booleans."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_true(props: Any, *path: Any) -> bool:
    return truthy(get(props, *path))


# --- Typed readers: the value at `path`, or WrongTypeError naming where it sits --------------------

def text(props: Any, *path: Any, default: Any = None, at: str = "") -> Any:
    """A string, `default` when missing."""
    return _typed(props, path, at, default, lambda v: isinstance(v, str), "a string")


def flag(props: Any, *path: Any, at: str = "") -> bool | None:
    """A boolean, None when missing (Kubernetes rejects "true" where a boolean belongs)."""
    return _typed(props, path, at, None, lambda v: isinstance(v, bool), "a boolean")


def number(props: Any, *path: Any, at: str = "") -> float | None:
    """A number, None when missing (numbers reach rules as floats: the engine marshals them so)."""
    return _typed(props, path, at, None, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                  "a number")


def mapping(props: Any, *path: Any, at: str = "") -> Mapping:
    """An object, empty when missing."""
    return _typed(props, path, at, {}, _is_mapping, "an object")


def objects(props: Any, *path: Any, at: str = "") -> list[tuple[str, Mapping]]:
    """(where, element) for a list of objects, empty when missing; every element must be an object."""
    elements = _typed(props, path, at, [], _is_sequence, "a list")
    return _elements(elements, where(at, *path), _is_mapping, "an object")


def strings(props: Any, *path: Any, at: str = "") -> list[str]:
    """A list of strings, empty when missing."""
    values = _typed(props, path, at, [], _is_sequence, "a list of strings")
    return [value for _, value in _elements(values, where(at, *path), lambda v: isinstance(v, str), "a string")]


def where(at: str, *path: Any) -> str:
    """The path of a value as written in a manifest: spec.template.spec.containers[0].image."""
    label = at
    for step in path:
        label += f"[{step}]" if isinstance(step, int) else (f".{step}" if label else str(step))
    return label


def shown(value: Any) -> str:
    """A value as a message shows it, briefly, without walking (or echoing) nested content."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a string"  # its text may be a secret written into the wrong field
    if isinstance(value, Mapping):
        return "an object"
    if _is_sequence(value):
        return "a list"
    return f"a {type(value).__name__}"


def _typed(props: Any, path: tuple, at: str, default: Any, fits: Any, expected: str) -> Any:
    value = get(props, *path, at=at)
    if value is None:
        return default
    if not fits(value):
        raise WrongTypeError(where(at, *path), value, expected)
    return value


def _elements(values: Any, base: str, fits: Any, expected: str) -> list[tuple[str, Any]]:
    """(where, element) for each element of a list, every one of the expected type (null is not)."""
    found = []
    for index, element in enumerate(values):
        if element is None or not fits(element):
            raise WrongTypeError(f"{base}[{index}]", element, expected)
        found.append((f"{base}[{index}]", element))
    return found


def _is_sequence(value: Any) -> bool:
    return type(value) is list or (isinstance(value, Sequence) and not isinstance(value, (str, bytes)))


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)
