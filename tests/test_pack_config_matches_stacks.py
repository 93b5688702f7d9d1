"""The pack config of each environment names the same registries the stack's own settings name.

The program and the pack are configured separately (stack config vs --policy-pack-config); when an
account, region or registry allow-list changes in one, this test fails until the other follows.
"""
from __future__ import annotations

import json

import pytest
import yaml

from components.admission import signed_image_patterns
from policies.kyverno import TWIN_ANNOTATION, cluster_policies
from policies.workload_catalog import KyvernoParams
from preflight.evaluation import LEVEL_STRENGTH, evaluate, load_pack_config
from preflight.model import Plan
from preflight.stack_files import PROJECT_ROOT

PROJECT = "devsecops-platform"


def stack_and_pack(stack: str) -> tuple[dict, dict]:
    config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]

    def setting(key):
        return config.get(f"{PROJECT}:{key}", project[key]["default"])

    settings = {key: setting(key) for key in ("environment", "accountId", "namePrefix", "allowedImageRegistries",
                                              "logRetentionDays", "kyvernoFailureAction")}
    settings["region"] = config["aws:region"]
    pack = json.loads((PROJECT_ROOT / "policies" / "config" / f"{settings['environment']}.json").read_text())
    return settings, pack


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_allowed_and_signed_registries_match_the_stack(stack):
    s, pack = stack_and_pack(stack)
    registry = f"{s['accountId']}.dkr.ecr.{s['region']}.amazonaws.com"
    assert pack["k8s-image-registry-allowed"]["allowedRegistries"] == [registry, *s["allowedImageRegistries"]]
    assert pack["k8s-image-digest-pinned"]["signedImagePatterns"] == list(signed_image_patterns(registry, f"{s['namePrefix']}-{stack}"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_log_retention_meets_the_packs_minimum(stack):
    s, pack = stack_and_pack(stack)
    assert s["logRetentionDays"] >= pack["cloudwatch-log-group-retention"]["minimumDays"]


def pack_levels(environment: str) -> dict[str, str]:
    """Rule -> enforcement level as a preview applies the environment's pack config ("all" included)."""
    config = load_pack_config(PROJECT_ROOT / "policies" / "config" / f"{environment}.json")
    empty = Plan(project=PROJECT, stack=environment, resources=(), outputs={})
    return {meta.name: meta.enforcement for meta in evaluate(empty, config).policies}


def failure_actions(policy: dict) -> set[str]:
    """Every failure action of a ClusterPolicy: its validate rules' and its image verifications'."""
    rules = policy["spec"]["rules"]
    return ({r["validate"]["failureAction"] for r in rules if "validate" in r}
            | {v["failureAction"] for r in rules for v in r.get("verifyImages", [])})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_workload_rule_is_mandatory_exactly_where_its_kyverno_twin_enforces(stack):
    s, _ = stack_and_pack(stack)
    levels = pack_levels(s["environment"])
    for doc in cluster_policies(KyvernoParams(failure_action=s["kyvernoFailureAction"])):
        actions = failure_actions(doc)
        enforces = actions == {"Enforce"}
        twin = doc["metadata"]["annotations"][TWIN_ANNOTATION]
        assert enforces or actions == {"Audit"}, (twin, actions)
        assert (LEVEL_STRENGTH[levels[twin]] == 2) == enforces, (twin, levels[twin], actions)
