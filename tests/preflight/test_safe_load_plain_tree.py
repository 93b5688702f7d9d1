"""The loader's quick walk over plain trees gives exactly what the safe constructor gives: the same
values of the same types, and for every document it does not take (aliases, merge keys, repeated or
complex keys, other tags, deep nesting) the constructor's own value or error."""
from __future__ import annotations

import datetime

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from preflight import safe_load


class _ConstructorOnly(safe_load._StrictLoader):
    """The reference: the same loader with the quick walk turned off."""

    def construct_document(self, node):
        return yaml.constructor.SafeConstructor.construct_document(self, node)


def outcome(text: str, loader) -> tuple:
    try:
        return ("value", typed(yaml.load(text, Loader=loader)))
    except Exception as error:  # the error itself is part of the outcome
        return ("error", type(error).__name__, str(error))


def typed(value):
    """The value with every scalar's type beside it (1, 1.0 and True are equal in Python)."""
    if isinstance(value, dict):
        return ("map", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [typed(v) for v in value])
    return (type(value).__name__, value)


def same_both_ways(text: str) -> tuple:
    quick, reference = outcome(text, safe_load._StrictLoader), outcome(text, _ConstructorOnly)
    assert quick == reference, text
    return quick


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
    st.binary(max_size=8), st.dates(), st.datetimes(),
    st.sampled_from(["yes", "No", "on", "~", "null", "0x1F", "0o17", "1_000", "1e3", ".inf", "-.nan", "2024-02-30",
                     "12:30:00", "=", "<<", "'quoted'", "- item", "key: value", "#comment", "!tag"]),
)
keys = st.one_of(st.text(max_size=10), st.integers(-5, 5), st.booleans(), st.none(), st.floats(-2, 2))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=5)), max_leaves=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values, st.sampled_from([{}, {"default_flow_style": True}, {"default_style": '"'}, {"sort_keys": False}]))
def test_any_dumped_document_loads_the_same_both_ways(value, style):
    same_both_ways(yaml.dump(value, **style))


def measured(measure) -> tuple:
    try:
        return ("size", measure())
    except safe_load.LoadError as error:
        return ("error", str(error))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values, st.integers(1, 6), st.integers(1, 40))
def test_the_quick_walks_count_measures_as_measure_does(value, depth, nodes):
    # The loader's count of a plain tree stands in for `measure`: same size, same error first.
    value, levels = safe_load._parse(yaml.dump(value), "doc.yaml", 1, safe_load.DEFAULT_LIMITS)
    if levels is None:
        return  # the constructor built it (a repeated key of another spelling): `measure` runs on it
    limits = safe_load.Limits(max_depth=depth, max_nodes=nodes)
    assert (measured(lambda: safe_load.measure_levels(levels, limits, "doc.yaml", 1))
            == measured(lambda: safe_load.measure(value, limits, "doc.yaml", 1)[0]))


DOCUMENTS = {
    "plain manifest": "apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: a}}\nspec:\n  containers:\n  - {name: a, image: x}\n",
    "aliases": "base: &b {cpu: 1}\nfirst: *b\nsecond: *b\n",
    "aliased scalar": "a: &x hello\nb: *x\n",
    "merge key": "base: &b {cpu: 1, mem: 2}\nres:\n  <<: *b\n  cpu: 3\n",
    "repeated key": "a: 1\na: 2\n",
    "int and float keys equal in Python": "1: one\n1.0: float one\n",
    "text and int keys": "'1': text\n1: int\n",
    "bool spellings": "yes: a\ntrue: b\n",
    "complex key": "? [a, b]\n: value\n",
    "mapping key": "? {a: 1}\n: value\n",
    "null key": "~: nothing\nnull: again\n",
    "set": "!!set {a, b}\n",
    "omap": "!!omap [{a: 1}, {b: 2}]\n",
    "pairs": "!!pairs [{a: 1}, {a: 2}]\n",
    "binary": "data: !!binary aGVsbG8=\n",
    "bad binary": "data: !!binary '!!!'\n",
    "timestamp": "when: 2024-01-02T03:04:05Z\nday: 2024-01-02\n",
    "impossible date": "day: 2024-02-30\n",
    "explicit str tag": "n: !!str 5\n",
    "explicit int on text": "n: !!int nope\n",
    "unknown tag": "n: !custom 5\n",
    "python tag": "n: !!python/object:os.system echo\n",
    "map tag on a scalar": "n: !!map x\n",
    "seq tag on a mapping": "n: !!seq {a: 1}\n",
    "recursive alias": "a: &a [*a]\n",
    "deep nesting": "a: " + "[" * 250 + "]" * 250 + "\n",
    "nesting near the quick walk's bound": "a: " + "[" * 199 + "]" * 199 + "\n",
    "huge int": "n: " + "9" * 5000 + "\n",
    "empty": "",
    "scalar document": "just text\n",
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_the_quick_walk_does_not_take_are_the_constructors(name):
    same_both_ways(DOCUMENTS[name])


def test_the_quick_walk_does_take_plain_manifests():
    loader = safe_load._StrictLoader(DOCUMENTS["plain manifest"] + "when: 2024-01-02\nbytes: !!binary aGk=\n")
    try:
        levels = []
        value = safe_load._plain_tree(loader, loader.get_single_node(), levels)
    finally:
        loader.dispose()
    assert value["spec"]["containers"][0]["image"] == "x"
    assert value["when"] == datetime.date(2024, 1, 2) and value["bytes"] == b"hi"
    assert levels == [6, 3, 2, 2]  # the children of the containers at each nesting level


@pytest.mark.parametrize("name", ["aliases", "merge key", "repeated key", "set", "deep nesting", "unknown tag"])
def test_the_quick_walk_steps_aside_where_the_constructor_decides(name):
    loader = safe_load._StrictLoader(DOCUMENTS[name])
    try:
        with pytest.raises(safe_load._NotPlainTree):
            safe_load._plain_tree(loader, loader.get_single_node(), [])
    finally:
        loader.dispose()
