"""The props a policy reads, built from recorded inputs in one pass, as the servicer path builds them.

The servicer path marshals inputs into a protobuf Struct, copies it into a request, reads it back
with `MessageToDict` (every number a float), deserializes Pulumi's special values (a secret becomes
its value) and wraps the result in the SDK's `unknown_checking_proxy`, once per policy. The direct
path builds that same value once: the SDK's own proxy classes with the same paths, numbers as
floats, secrets as their values, each mapping in the servicer's key order (preflight.map_order).

What this module does not reproduce itself raises NotPlain: assets and archives, values a Struct
cannot hold or cannot give back (a key that is not text, text that is not Unicode, NaN, a number past
a double, a type other than JSON's), nesting past MAX_DEPTH. The caller hands such a resource to the
reference, so it is judged, or refused, exactly as the servicer would.
"""
from __future__ import annotations

from typing import Any

from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import _DictProxy, _ListProxy

from preflight.map_order import Order

# Far deeper than any resource or manifest (the loader stops manifests at 100 by default), and far
# from where protobuf's and Python's own recursion limits begin to decide.
MAX_DEPTH = 64


class NotPlain(Exception):
    """Inputs the direct path leaves to the reference."""


def view(inputs: Any, order: Order) -> _DictProxy:
    """`inputs` as a policy receives them, with mappings in `order`; raises NotPlain."""
    if type(inputs) is not dict:
        raise NotPlain("the inputs are not a dict")
    try:
        return _mapping(inputs, [], order, 0)
    except (TypeError, ValueError, OverflowError) as err:  # a key a Struct refuses, a number past a double
        raise NotPlain(str(err)) from err


def _mapping(value: dict, path: list[str], order: Order, depth: int) -> _DictProxy:
    if depth > MAX_DEPTH:
        raise NotPlain("nested too deep")
    keys = tuple(value)
    if len(keys) > 1:
        keys = order(keys)  # marshals the keys: raises for any the Struct refuses
    elif keys and (type(keys[0]) is not str or not keys[0].isascii()):
        if type(keys[0]) is not str:
            raise NotPlain("a key that is not text")
        keys[0].encode()  # UnicodeEncodeError for a lone surrogate
    target = {}
    for key in keys:
        item = value[key]
        if type(item) is not str or not item.isascii():  # plain text, by far the most common value, as is
            item = _element(item, path, key, order, depth)
        target[key] = item
    return _DictProxy(target, path)


def _sequence(value: list | tuple, path: list[str], order: Order, depth: int) -> _ListProxy:
    if depth > MAX_DEPTH:
        raise NotPlain("nested too deep")
    items = []
    for index, item in enumerate(value):
        if type(item) is not str or not item.isascii():
            item = _element(item, path, str(index), order, depth)
        items.append(item)
    return _ListProxy(items, path)


def _element(item: Any, parent: list[str], key: str, order: Order, depth: int) -> Any:
    """The value at parent.key, as the policy reads it."""
    kind = type(item)
    if kind is str:
        item.encode()  # protobuf strings are UTF-8: a lone surrogate cannot be marshalled
    elif kind is dict:
        return _nested(item, parent + [key], order, depth + 1)
    elif kind is list or kind is tuple:
        return _sequence(item, parent + [key], order, depth + 1)
    elif kind is int:
        return float(item)  # a Struct holds numbers as doubles; OverflowError past their range
    elif kind is float:
        if item - item != 0.0:  # NaN or infinity: MessageToDict refuses them
            raise NotPlain("not a finite number")
    elif item is not None and kind is not bool:
        raise NotPlain(f"a {kind.__name__}")
    return item


def _nested(value: dict, path: list[str], order: Order, depth: int) -> Any:
    """A mapping below the top: a secret is its value (the SDK deserializes it so, at the secret's
    place), any other special signature is left to the reference."""
    if SPECIAL_SIG_KEY not in value:
        return _mapping(value, path, order, depth)
    if value[SPECIAL_SIG_KEY] != SPECIAL_SECRET_SIG or len(value) != 2 or "value" not in value:
        raise NotPlain("an asset, an archive or an unknown signature")
    return _element(value["value"], path[:-1], path[-1], order, depth - 1)
