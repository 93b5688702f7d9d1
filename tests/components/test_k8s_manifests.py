"""Every Kubernetes object the stack registers validates against the OpenAPI schema of the cluster's
version (kubernetes-validate, strict: unknown fields fail too). Objects of CRDs are left out."""
from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from k8s_plan import CRD_GROUPS, manifests
from preflight.model import Plan
from preflight.stack_files import PROJECT_ROOT


def cluster_version(stack: str) -> str:
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]["kubernetesVersion"]["default"]
    stack_config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return stack_config.get("devsecops-platform:kubernetesVersion", declared)


def test_every_manifest_validates_against_the_clusters_schema(plan: Plan):
    version = f"{cluster_version(plan.stack)}.0"
    checked, errors = 0, []
    for doc in manifests(plan):
        if doc["apiVersion"].startswith(CRD_GROUPS):
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{doc['kind']} {doc['metadata'].get('namespace', '')}/{doc['metadata']['name']}: {error.message} at {list(error.path)}")
        checked += 1
    assert not errors, "\n".join(errors)
    assert checked >= 40  # namespaces, workloads, services, policies...: the program's whole Kubernetes layer


def test_a_wrong_manifest_is_caught():
    """The validator really checks: a misspelt field and a wrong type both fail."""
    bad = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}, "automountServiceAcountToken": False}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.33.0", strict=True)
    wrong_type = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}, "automountServiceAccountToken": "no"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong_type, "1.33.0", strict=True)
