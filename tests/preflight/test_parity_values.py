"""The props the direct path hands a rule are the servicer's, value for value: numbers as floats,
secrets as their values, every mapping in the servicer's key order, at every depth and in each place
(a resource's props, its provider's, and the same in a stack request); where a value is unknown at
preview, the SDK's own proxy classes with the same paths, and elsewhere plain dicts and lists.
Inputs the servicer cannot marshal or deserialize are never converted: they raise NotPlain, and the
reference judges them.
"""
from __future__ import annotations

import math

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings, strategies as st
from pulumi_policy.deserialize import SPECIAL_ARCHIVE_SIG, SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, _DictProxy, _ListProxy, unknown_checking_proxy

from preflight import map_order
from preflight.analyzer import _analyze_request, _stack_request, _struct
from preflight.model import Plan, RecordedResource
from policies.sdk_proxy import UNKNOWN_VALUES
from preflight.policy_values import MAX_DEPTH, NotPlain, view

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PROVIDER = RecordedResource(urn="urn:pulumi:s::p::pulumi:providers:kubernetes::k8s", type="pulumi:providers:kubernetes",
                            name="k8s", custom=True, inputs={})


def through_servicer(inputs: dict, place: str):
    """What the servicer hands a policy for these inputs, built by the reference's own code."""
    owner = RecordedResource(urn="urn:pulumi:s::p::t:index:T::owner", type="t:index:T", name="owner", custom=True,
                             inputs={}, provider=f"{PROVIDER.urn}::id")
    plan = Plan("p", "s", (owner, PROVIDER), {})
    struct = _struct(inputs)
    json_format.MessageToDict(struct)  # the reference refuses what this refuses (analyzer._structs)
    provider_place = place.endswith("provider")
    structs = {owner.urn: _struct({}) if provider_place else struct, PROVIDER.urn: struct if provider_place else _struct({})}
    if place.startswith("stack"):
        carried = _stack_request(plan, structs).resources[0]
    else:
        carried = _analyze_request(owner, plan, structs)
    message = carried.provider.properties if provider_place else carried.properties
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(message)))


PLACES = {"resource": map_order.resource_props, "resource provider": map_order.resource_provider,
          "stack": map_order.stack_props, "stack provider": map_order.stack_provider}


def same(mine, theirs, proxied: bool, where="") -> None:
    """Equal in key order and value (a float is never an int); in type and proxy path when
    `proxied`, else the plain dict or list where the servicer has a proxy."""
    if isinstance(theirs, (_DictProxy, _ListProxy)):
        kind = type(theirs).__name__
        if proxied:
            assert type(mine) is type(theirs), where
            assert getattr(mine, f"{kind}__props_acc") == getattr(theirs, f"{kind}__props_acc"), where
            mine = mine["__target"]
        else:
            assert type(mine) is (dict if isinstance(theirs, _DictProxy) else list), where
        theirs = theirs["__target"]
        assert len(mine) == len(theirs), where
        if isinstance(theirs, dict):
            assert list(mine) == list(theirs), where
            for key in theirs:
                same(mine[key], theirs[key], proxied, f"{where}.{key}")
        else:
            for index, (a, b) in enumerate(zip(mine, theirs)):
                same(a, b, proxied, f"{where}[{index}]")
    else:
        assert type(mine) is type(theirs), where
        assert mine == theirs or (isinstance(mine, float) and math.isnan(mine) and math.isnan(theirs)), where


def holds_unknown(value) -> bool:
    """Whether some value (not a key) is one of the SDK's unknown markers."""
    if isinstance(value, dict):
        return any(holds_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_unknown(v) for v in value)
    return isinstance(value, str) and value in UNKNOWN_VALUES


keys = st.one_of(st.sampled_from(["name", "image", "spec", "metadata", "labels", "a", "b", "app.kubernetes.io/name"]),
                 st.text(min_size=1, max_size=12))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**60, 2**60), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=10), st.sampled_from([UNKNOWN_STRING_VALUE, UNKNOWN_NUMBER_VALUE]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=8),
        inner.map(lambda v: {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": v}),
    ),
    max_leaves=40,
)
documents = st.dictionaries(keys, values, max_size=10)


@SETTINGS
@given(documents, st.sampled_from(sorted(PLACES)))
def test_the_view_is_what_the_servicer_hands_a_policy(inputs, place):
    same(view(inputs, PLACES[place]), through_servicer(inputs, place), holds_unknown(inputs))


@SETTINGS
@given(st.lists(keys, min_size=2, max_size=90, unique=True), st.sampled_from(["resource", "stack"]))
def test_the_orders_copied_with_struct_alone_are_the_request_builders(names, place):
    # map_order builds these two without the Pulumi runtime; the large tables are where copies differ most.
    inputs = dict.fromkeys(names, "v")
    assert list(PLACES[place](tuple(names))) == list(through_servicer(inputs, place)["__target"])


# What the servicer cannot take or give back, and what only it deserializes.
refused = st.one_of(
    st.just(float("nan")), st.just(float("inf")), st.just(10**400), st.just("\ud800"), st.just(b"bytes"),
    st.just({1: "a key that is not text"}), st.just({"\udfff": 1, "b": 2}),
    st.just({SPECIAL_SIG_KEY: SPECIAL_ARCHIVE_SIG, "path": "/tmp"}), st.just({SPECIAL_SIG_KEY: "not a signature"}),
    st.just({SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG}), st.just(frozenset()),
)


@SETTINGS
@given(documents, refused, st.sampled_from(sorted(PLACES)))
def test_what_the_direct_path_does_not_convert_is_left_to_the_reference(inputs, odd, place):
    inputs = {**inputs, "odd": {"inner": [odd]}}
    with pytest.raises(NotPlain):
        view(inputs, PLACES[place])


def test_nesting_past_the_limit_is_left_to_the_reference():
    deep = "leaf"
    for _ in range(MAX_DEPTH + 1):
        deep = {"a": deep}
    with pytest.raises(NotPlain):
        view({"spec": deep}, map_order.resource_props)
    shallow = deep["a"]["a"]
    same(view({"spec": shallow}, map_order.resource_props), through_servicer({"spec": shallow}, "resource"), False)


def test_key_order_differs_between_places_as_in_the_servicer():
    # Not a property of the code under test but of upb: if copies kept insertion order, the whole
    # of preflight.map_order would be unneeded. Twelve keys are enough to see the tables differ.
    inputs = {f"key{i}": i for i in range(12)}
    orders = {place: list(through_servicer(inputs, place)["__target"]) for place in PLACES}
    assert len({tuple(o) for o in orders.values()} | {tuple(inputs)}) > 1
    for place, order in PLACES.items():
        assert list(view(inputs, order)) == orders[place]


def test_the_markers_the_direct_path_knows_are_the_sdks():
    from pulumi_policy import proxy

    from preflight.policy_values import SECRET_SIG, SIG_KEY

    assert (SIG_KEY, SECRET_SIG) == (SPECIAL_SIG_KEY, SPECIAL_SECRET_SIG)
    assert set(UNKNOWN_VALUES) == {getattr(proxy, n) for n in dir(proxy) if n.startswith("UNKNOWN_") and n.endswith("_VALUE")}


@pytest.mark.parametrize("first", ["policies.values", "pulumi_policy"])
def test_rules_catch_the_very_class_the_sdk_raises_whichever_is_imported_first(first):
    import subprocess
    import sys

    program = (f"import {first}\nimport policies.values, pulumi_policy.proxy, pulumi_policy.policy\n"
               "assert policies.values.UnknownValueError is pulumi_policy.proxy.UnknownValueError\n"
               "assert pulumi_policy.policy.UnknownValueError is pulumi_policy.proxy.UnknownValueError\n")
    assert subprocess.run([sys.executable, "-c", program], capture_output=True, text=True).returncode == 0
