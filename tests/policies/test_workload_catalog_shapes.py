"""Workload rule edge cases: exact ALL, unknown namespaces, ephemeral containers, registry prefixes."""
from __future__ import annotations

import pytest

from policies.pods import from_registry
from policies.workload_catalog import CATALOG

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
CHECKS = {c.rule: c.check for c in CATALOG}
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def deployment(container: dict, namespace="app", ephemeral=None) -> dict:
    spec = {"containers": [{"name": "app", **container}]}
    if ephemeral:
        spec["ephemeralContainers"] = [{"name": "debug", **ephemeral}]
    return {"metadata": {"name": "web", "namespace": namespace}, "spec": {"template": {"spec": spec}}}


def messages(rule: str, props: dict, config=None) -> list[str]:
    return list(CHECKS[rule](DEPLOYMENT, props, config or {}))


def test_lower_case_all_is_not_dropping_all_capabilities():
    assert messages("k8s-drop-all-capabilities", deployment({"securityContext": {"capabilities": {"drop": ["all"]}}}))
    assert not messages("k8s-drop-all-capabilities", deployment({"securityContext": {"capabilities": {"drop": ["ALL"]}}}))


def test_ephemeral_containers_are_not_asked_for_resources_kubernetes_forbids():
    resources = {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}
    assert not messages("k8s-resources-required", deployment(resources, ephemeral={"image": "busybox@sha256:" + "a" * 64}))


@pytest.mark.parametrize("image,allowed,expected", [
    ("111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/web@sha256:" + "a" * 64, "*.dkr.ecr.*.amazonaws.com", True),
    ("evil.example/x.dkr.ecr.y.amazonaws.com/web:1", "*.dkr.ecr.*.amazonaws.com", False),
    ("public.ecr.aws/docker/library/postgres:16", "public.ecr.aws/docker/library", True),
    ("public.ecr.aws/docker/libraryX/postgres:16", "public.ecr.aws/docker/library", False),
    ("public.ecr.aws/docker/library", "public.ecr.aws/docker/library", False),
    ("registry.example:5000/app:1", "registry.example:5000", True),
])
def test_registry_prefixes_match_whole_segments(image, allowed, expected):
    assert from_registry(image, allowed) is expected
