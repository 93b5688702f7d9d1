"""The direct path and the servicer agree on inputs no one wrote by hand: real manifests and the pack
benchmark's AWS resources, mutated at random (values replaced by unknowns, by other types, by odd
numbers and text, keys removed, mappings reordered), handed to the whole pack as the engine would
hand them (so unknowns and wrong types reach the rules, as in a preview)."""
from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from policies.bench import synthetic_plan
from preflight import bench_corpus
from preflight.evaluation import evaluate, load_pack_config
from preflight.manifests import type_token
from preflight.model import Plan, RecordedResource

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNKNOWNS = ("04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
            "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "dd056dcd-154b-4c76-9bd3-c8f88648b5ff")
PROD = load_pack_config("policies/config/prod.json")


def seeds() -> list[tuple[str, dict[str, Any]]]:
    manifests = [(type_token(m["apiVersion"], m["kind"]), m) for m in bench_corpus.fixtures()]
    aws = [(r.type, r.inputs) for r in synthetic_plan(5).resources if r.type.startswith("aws:")]
    return manifests + aws


SEEDS = seeds()
odd_values = st.one_of(
    st.sampled_from(UNKNOWNS), st.none(), st.booleans(), st.integers(-2**53, 2**53), st.floats(allow_nan=False),
    st.text(max_size=8), st.sampled_from(["ALL", "latest", "0.0.0.0/0", "*", "RuntimeDefault", "privileged"]),
    st.lists(st.sampled_from(UNKNOWNS + ("ALL", "NET_ADMIN")), max_size=3),
    st.dictionaries(st.text(max_size=5), st.sampled_from(UNKNOWNS + ("x",)), max_size=3), st.just({}), st.just([]),
)


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value inside `value`, containers included."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, path + (index,))
    return found


@st.composite
def mutated(draw) -> tuple[str, dict[str, Any]]:
    token, inputs = draw(st.sampled_from(SEEDS))
    inputs = copy.deepcopy(inputs)
    for _ in range(draw(st.integers(1, 4))):
        inside = places(inputs)[1:]
        if not inside:
            break
        path = draw(st.sampled_from(inside))
        parent = inputs
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "reorder"]))
        if action == "replace":
            parent[path[-1]] = draw(odd_values)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            keys = draw(st.permutations(list(parent)))
            reordered = {key: parent[key] for key in keys}
            parent.clear()
            parent.update(reordered)
    return token, inputs


@SETTINGS
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_both_paths_judge_mutated_inputs_alike(resources):
    plan = Plan("p", "s", tuple(
        RecordedResource(urn=f"urn:pulumi:s::p::{token}::r{index}", type=token, name=f"r{index}", custom=True,
                         inputs=inputs)
        for index, (token, inputs) in enumerate(resources)), {})
    assert evaluate(plan, PROD, engine="direct") == evaluate(plan, PROD, engine="servicer")
