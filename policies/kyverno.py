"""Kyverno ClusterPolicy documents generated from the workload catalogue (pure functions -> dicts).

The admission component registers each document as a `kyverno.io/v1` ClusterPolicy CustomResource.
Failure actions are per rule (`validate.failureAction`, `verifyImages[].failureAction`), the current
form; the deprecated policy-level `validationFailureAction` is not used. The webhook failure policy
lives in `webhookConfiguration.failurePolicy`.
"""
from __future__ import annotations

from policies.workload_catalog import CATALOG, KyvernoParams, WorkloadControl

API_VERSION = "kyverno.io/v1"
KIND = "ClusterPolicy"
TWIN_ANNOTATION = "policies.devsecops/crossguard-rule"


def cluster_policy(control: WorkloadControl, params: KyvernoParams, webhook_failure_policy: str = "Fail") -> dict:
    match = {"any": [{"resources": {"kinds": list(control.kyverno_kinds)}}]}
    exclude = {"any": [{"resources": {"namespaces": list(params.excluded_namespaces)}}]}
    if control.kyverno_kinds == ("Namespace",):
        exclude = {"any": [{"resources": {"names": list(params.excluded_namespaces)}}]}
    rules = [{"name": r.name, "match": match, "exclude": exclude, **r.body(params)} for r in control.kyverno_rules]
    annotations = {
        TWIN_ANNOTATION: control.rule,
        "policies.kyverno.io/severity": control.severity.value,
        "policies.kyverno.io/description": control.description,
    }
    # Kyverno copies Pod rules onto pod controllers itself; rules written for controllers must not be.
    if control.kyverno_kinds != ("Pod",):
        annotations["pod-policies.kyverno.io/autogen-controllers"] = "none"
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": control.kyverno_policy, "annotations": annotations},
        "spec": {
            "background": True,
            "webhookConfiguration": {"failurePolicy": webhook_failure_policy},
            "rules": rules,
        },
    }


def cluster_policies(params: KyvernoParams, webhook_failure_policy: str = "Fail") -> list[dict]:
    """Every ClusterPolicy of the catalogue, in catalogue order."""
    return [cluster_policy(c, params, webhook_failure_policy) for c in CATALOG]


def required_policy_names() -> tuple[str, ...]:
    return tuple(c.kyverno_policy for c in CATALOG)
