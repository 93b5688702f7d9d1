"""The order in which the servicer path hands a rule the keys of each mapping.

The servicer path carries props as protobuf Structs. A Struct's fields are a map, and upb iterates
a map in its hash table's order, which changes each time a message is copied into a request. Rules
that walk a mapping (matchLabels, IAM conditions) report in that order, and a rule may stop at the
first key it dislikes, so the direct path must present every mapping in the very order the servicer
would. That order depends only on the keys, in insertion order, and on the copies on the way; it is
found by sending a skeleton with the same keys through the reference's own request builders, once
per distinct key sequence and place (a resource's props, its provider's, the same in a stack
request, a stack resource's property dependencies).

The two orders every rule meets, a resource's props and a stack resource's, come from the same
copies made with struct_pb2 alone (a Value built around the Struct, that Value appended to a list):
the request messages live in the Pulumi runtime, which a manifest scan does not import. A test holds
these copies to the request builders' order. The orders only stack rules reading providers or
several property dependencies meet still come from the request builders themselves.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Callable

from google.protobuf import struct_pb2

from preflight.model import Plan, RecordedResource

# Distinct key sequences remembered per place; a scan of many unlike manifests only recomputes more.
CACHE_SIZE = 1 << 15

_PROVIDER = RecordedResource(urn="urn:pulumi:order::order::pulumi:providers:order::provider",
                             type="pulumi:providers:order", name="provider", custom=True, inputs={})
_OWNER = RecordedResource(urn="urn:pulumi:order::order::order:index:Owner::owner", type="order:index:Owner",
                          name="owner", custom=True, inputs={}, provider=f"{_PROVIDER.urn}::id")
_PLAN = Plan("order", "order", (_OWNER, _PROVIDER), {})

Order = Callable[[tuple], tuple]


def _skeleton(keys: tuple) -> struct_pb2.Struct:
    """A Struct with these keys inserted in this order (Struct.update inserts them so); raises for
    keys a Struct cannot hold, as the reference's marshalling would."""
    struct = struct_pb2.Struct()
    struct.update(dict.fromkeys(keys))
    return struct


def _structs(owner: tuple = (), provider: tuple = ()) -> dict[str, struct_pb2.Struct]:
    return {_OWNER.urn: _skeleton(owner), _PROVIDER.urn: _skeleton(provider)}


@lru_cache(maxsize=CACHE_SIZE)
def resource_props(keys: tuple) -> tuple:
    """As AnalyzeRequest(properties=struct) holds them: one copy into a message field."""
    return tuple(struct_pb2.Value(struct_value=_skeleton(keys)).struct_value.fields)


@lru_cache(maxsize=CACHE_SIZE)
def stack_props(keys: tuple) -> tuple:
    """As a stack request holds them: AnalyzerResource(properties=struct), then appended to the request."""
    in_list = struct_pb2.ListValue()
    in_list.values.append(struct_pb2.Value(struct_value=_skeleton(keys)))
    return tuple(in_list.values[0].struct_value.fields)


@lru_cache(maxsize=CACHE_SIZE)
def resource_provider(keys: tuple) -> tuple:
    from preflight.analyzer import _analyze_request

    return tuple(_analyze_request(_OWNER, _PLAN, _structs(provider=keys)).provider.properties.fields)


@lru_cache(maxsize=CACHE_SIZE)
def stack_provider(keys: tuple) -> tuple:
    from preflight.analyzer import _stack_request

    return tuple(_stack_request(_PLAN, _structs(provider=keys)).resources[0].provider.properties.fields)


@lru_cache(maxsize=CACHE_SIZE)
def stack_dependencies(keys: tuple) -> tuple:
    """The keys of a stack resource's property dependencies (a map in the stack request too)."""
    from preflight.analyzer import _stack_request

    owner = replace(_OWNER, property_dependencies=dict.fromkeys(keys, ()))
    plan = Plan("order", "order", (owner, _PROVIDER), {})
    return tuple(_stack_request(plan, _structs()).resources[0].propertyDependencies)
