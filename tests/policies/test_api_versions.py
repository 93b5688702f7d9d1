"""API versions removed or deprecated at the cluster's Kubernetes version, from the pack config."""
import json
from pathlib import Path

import pytest
import yaml

from policies.rule import CANNOT_JUDGE
from policies.rules.k8s_api_versions import RETIRED
from policy_plans import assert_outcome, messages, resource, run

ROOT = Path(__file__).resolve().parents[2]
REMOVED, DEPRECATED = "k8s-api-version-removed", "k8s-api-version-deprecated"
PDB = {"metadata": {"name": "web", "namespace": "app"}, "spec": {"maxUnavailable": 1}}


def at_version(version: str, level: str = "mandatory") -> dict:
    return {"all": "advisory", **{rule: {"enforcementLevel": level, "kubernetesVersion": version} for rule in (REMOVED, DEPRECATED)}}


@pytest.mark.parametrize("type_token,version,removed,deprecated", [
    ("kubernetes:policy/v1beta1:PodDisruptionBudget", "1.33", "fail", "pass"),
    ("kubernetes:policy/v1beta1:PodDisruptionBudget", "1.24", "pass", "fail"),  # deprecated in 1.21, removed in 1.25
    ("kubernetes:policy/v1beta1:PodDisruptionBudget", "1.20", "pass", "pass"),
    ("kubernetes:policy/v1:PodDisruptionBudget", "1.33", "pass", "pass"),
    ("kubernetes:extensions/v1beta1:Ingress", "1.33", "fail", "pass"),
    ("kubernetes:apps/v1beta2:Deployment", "1.32", "fail", "pass"),
    ("kubernetes:batch/v1beta1:CronJob", "1.33", "fail", "pass"),
    ("kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler", "1.33", "fail", "pass"),
    ("kubernetes:flowcontrol.apiserver.k8s.io/v1beta3:FlowSchema", "1.31", "pass", "fail"),
    ("kubernetes:flowcontrol.apiserver.k8s.io/v1beta3:FlowSchema", "1.32", "fail", "pass"),
    ("kubernetes:core/v1:Endpoints", "1.32", "pass", "pass"),
    ("kubernetes:core/v1:Endpoints", "1.33", "pass", "fail"),  # deprecated, no removal scheduled
    ("kubernetes:apps/v1:Deployment", "1.34", "pass", "pass"),
])
def test_an_api_version_is_judged_at_the_configured_kubernetes_version(type_token, version, removed, deprecated):
    evaluation = run(resource(type_token, "web", PDB), config=at_version(version))
    assert_outcome(evaluation, REMOVED, removed)
    assert_outcome(evaluation, DEPRECATED, deprecated)


def test_the_message_names_the_release_and_the_replacement():
    evaluation = run(resource("kubernetes:batch/v1beta1:CronJob", "backup", {}), config=at_version("1.33"))
    violation, = evaluation.of(REMOVED)
    assert violation.urn.endswith("::backup")
    assert messages(evaluation, REMOVED)[0].endswith(
        "batch/v1beta1 CronJob is not served since Kubernetes 1.25 (the cluster runs 1.33): use batch/v1")


@pytest.mark.parametrize("version", ["1.x", "133", "v1.33"])
def test_a_kubernetes_version_that_is_not_major_dot_minor_cannot_be_judged(version):
    evaluation = run(resource("kubernetes:batch/v1beta1:CronJob", "backup", {}), config=at_version(version))
    assert any(e.message.startswith(f"{REMOVED}: {CANNOT_JUDGE}: kubernetesVersion is a string") for e in evaluation.errors)


def test_every_retired_api_names_a_group_version_kind_and_releases_in_order():
    for token, api in RETIRED.items():
        _, group_version, kind = token.split(":")
        assert "/" in group_version and kind[0].isupper(), token
        deprecated = tuple(map(int, api.deprecated_in.split(".")))
        assert api.removed_in is None or deprecated < tuple(map(int, api.removed_in.split("."))), token


def _stack_setting(stack: str, key: str) -> str:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    return str(config.get(f"devsecops-platform:{key}", project[key]["default"]))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_pack_config_judges_at_the_stacks_kubernetes_version(stack):
    environment = _stack_setting(stack, "environment")
    pack = json.loads((ROOT / "policies" / "config" / f"{environment}.json").read_text())
    for rule in (REMOVED, DEPRECATED):
        assert pack[rule]["kubernetesVersion"] == _stack_setting(stack, "kubernetesVersion"), (stack, rule)
