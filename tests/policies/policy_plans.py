"""Small hand-written plans for rule tests: resources as the engine records them."""
from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any, Callable

from preflight.evaluation import Evaluation, evaluate, load_pack_config
from preflight.model import Plan, RecordedResource
from policies import pack

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime's unknown sentinel
PROD = "policies/config/prod.json"
DEV = "policies/config/dev.json"


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:test::platform::{type_token}::{name}"


def resource(type_token: str, name: str, inputs: dict[str, Any] | None = None, *, parent: RecordedResource | None = None,
             deps: dict[str, list[RecordedResource]] | None = None, depends_on: list[RecordedResource] = ()) -> RecordedResource:
    """One recorded resource; `deps` are property dependencies (prop -> resources it was computed from)."""
    deps = deps or {}
    all_deps = {d.urn for ds in deps.values() for d in ds} | {d.urn for d in depends_on}
    return RecordedResource(
        urn=urn(type_token, name),
        type=type_token,
        name=name,
        custom=not type_token.startswith("eks:index:"),
        inputs=inputs or {},
        parent=parent.urn if parent else None,
        dependencies=tuple(sorted(all_deps)),
        property_dependencies={k: tuple(d.urn for d in ds) for k, ds in deps.items()},
    )


def plan(*resources: RecordedResource) -> Plan:
    return Plan(project="platform", stack="test", resources=tuple(resources), outputs={})


def run(*resources: RecordedResource, config: str | dict = PROD) -> Evaluation:
    """Evaluates the whole pack over the resources through the SDK analyzer path."""
    cfg = load_pack_config(config) if isinstance(config, str) else config
    return evaluate(plan(*resources), cfg)


def messages(evaluation: Evaluation, policy: str) -> list[str]:
    return [v.message for v in evaluation.of(policy)]


def policy_json(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def rule_names() -> list[str]:
    return [r.name for r in pack.RULES]


def changed(inputs: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `inputs` with the dotted `path` set to `value` (DELETE removes it)."""
    copy = json.loads(json.dumps(inputs))
    node = copy
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        node = node[key]
    if value is DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return copy


DELETE = object()


def assert_outcome(evaluation: Evaluation, policy: str, expect: str) -> None:
    """expect: "pass" (no violation), "fail" (a proven violation), "unknown" (cannot verify)."""
    found = messages(evaluation, policy)
    cannot = [m for m in found if "cannot verify at preview" in m]
    if expect == "pass":
        assert found == [], found
    elif expect == "fail":
        assert found and not cannot, found
    elif expect == "unknown":
        assert cannot, found
    else:
        raise ValueError(expect)


def edited(plan: Plan, name: str, edit: Callable[[dict], Any]) -> Plan:
    """The plan with the inputs of its custom resource `name` changed by `edit` (on a copy)."""
    [target] = [r for r in plan.resources if r.name == name and r.custom]
    inputs = copy.deepcopy(target.inputs)
    edit(inputs)
    return dataclasses.replace(plan, resources=tuple(dataclasses.replace(r, inputs=inputs) if r is target else r
                                                     for r in plan.resources))
