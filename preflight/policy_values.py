"""The props a rule reads, built from recorded inputs in one pass, as the servicer path hands them over.

The servicer path marshals inputs into a protobuf Struct, copies it into a request, reads it back
with `MessageToDict` (every number a float), deserializes Pulumi's special values (a secret becomes
its value) and wraps the result in the SDK's `unknown_checking_proxy`, once per policy. The direct
path builds that same value once: numbers as floats, secrets as their values, each mapping in the
servicer's key order (preflight.map_order).

The SDK's proxy only matters where a value is unknown at preview: reading one raises
UnknownValueError. Props that hold no unknown value are handed over as plain dicts and lists, which
rules read the same way (through Mapping and Sequence, policies.values) far faster; props that hold
one are wrapped in the SDK's own proxy classes, with the paths its messages name.

What this module does not reproduce itself raises NotPlain: assets and archives, values a Struct
cannot hold or cannot give back (a key that is not text, text that is not Unicode, NaN, a number past
a double, a type other than JSON's), nesting past MAX_DEPTH. The caller hands such a resource to the
reference, so it is judged, or refused, exactly as the servicer would.
"""
from __future__ import annotations

from typing import Any

from policies.sdk_proxy import UNKNOWN_VALUES, DictProxy, ListProxy
from preflight.map_order import Order

# Far deeper than any resource or manifest (the loader stops manifests at 100 by default), and far
# from where protobuf's and Python's own recursion limits begin to decide.
MAX_DEPTH = 64
# Pulumi's signature of a special value (pulumi_policy.deserialize, pulumi.runtime.rpc): a secret
# is {SIG_KEY: SECRET_SIG, "value": ...}; any other signature is an asset, an archive or unknown.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWN = frozenset(UNKNOWN_VALUES)


class NotPlain(Exception):
    """Inputs the direct path leaves to the reference."""


def view(inputs: Any, order: Order) -> Any:
    """`inputs` as a rule receives them, with mappings in `order`; raises NotPlain."""
    if type(inputs) is not dict:
        raise NotPlain("the inputs are not a dict")
    built = _Builder(order)
    try:
        value = built.mapping(inputs, 0)
    except (TypeError, ValueError, OverflowError) as err:  # a key a Struct refuses, a number past a double
        raise NotPlain(str(err)) from err
    return _proxied(value, []) if built.unknown else value


class _Builder:
    def __init__(self, order: Order) -> None:
        self.order = order
        self.unknown = False  # whether some value is unknown at preview

    def mapping(self, value: dict, depth: int) -> dict:
        if depth > MAX_DEPTH:
            raise NotPlain("nested too deep")
        keys = tuple(value)
        if len(keys) > 1:
            keys = self.order(keys)  # marshals the keys: raises for any the Struct refuses
        elif keys and (type(keys[0]) is not str or not keys[0].isascii()):
            if type(keys[0]) is not str:
                raise NotPlain("a key that is not text")
            keys[0].encode()  # UnicodeEncodeError for a lone surrogate
        target = {}
        for key in keys:
            item = value[key]
            if type(item) is str and item.isascii():  # plain text, by far the most common value, as is
                if item in _UNKNOWN:
                    self.unknown = True
            else:
                item = self.element(item, depth)
            target[key] = item
        return target

    def sequence(self, value: list | tuple, depth: int) -> list:
        if depth > MAX_DEPTH:
            raise NotPlain("nested too deep")
        items = []
        for item in value:
            if type(item) is str and item.isascii():
                if item in _UNKNOWN:
                    self.unknown = True
            else:
                item = self.element(item, depth)
            items.append(item)
        return items

    def element(self, item: Any, depth: int) -> Any:
        kind = type(item)
        if kind is str:
            item.encode()  # protobuf strings are UTF-8: a lone surrogate cannot be marshalled
        elif kind is dict:
            return self.nested(item, depth + 1)
        elif kind is list or kind is tuple:
            return self.sequence(item, depth + 1)
        elif kind is int:
            return float(item)  # a Struct holds numbers as doubles; OverflowError past their range
        elif kind is float:
            if item - item != 0.0:  # NaN or infinity: MessageToDict refuses them
                raise NotPlain("not a finite number")
        elif item is not None and kind is not bool:
            raise NotPlain(f"a {kind.__name__}")
        return item

    def nested(self, value: dict, depth: int) -> Any:
        """A mapping below the top: a secret is its value (the SDK deserializes it so, at the
        secret's place), any other special signature is left to the reference."""
        if SIG_KEY not in value:
            return self.mapping(value, depth)
        if value[SIG_KEY] != SECRET_SIG or len(value) != 2 or "value" not in value:
            raise NotPlain("an asset, an archive or an unknown signature")
        secret = value["value"]
        if type(secret) is str and secret in _UNKNOWN:
            self.unknown = True
        return self.element(secret, depth - 1)


def _proxied(value: Any, path: list[str]) -> Any:
    """`value` wrapped as `unknown_checking_proxy` wraps it: each container knows its path."""
    if type(value) is dict:
        return DictProxy({k: _proxied(v, path + [k]) for k, v in value.items()}, path)
    if type(value) is list:
        return ListProxy([_proxied(v, path + [str(i)]) for i, v in enumerate(value)], path)
    return value
