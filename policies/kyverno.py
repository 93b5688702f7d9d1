"""Kyverno ClusterPolicy documents generated from the workload catalogue (pure functions -> dicts).

The admission component registers each document as a `kyverno.io/v1` ClusterPolicy CustomResource.
Failure actions are per rule (`validate.failureAction`, `verifyImages[].failureAction`), the current
form; the deprecated policy-level `validationFailureAction` is not used. The webhook failure policy
lives in `webhookConfiguration.failurePolicy`.
"""
from __future__ import annotations

from dataclasses import replace

from policies.severity import Severity

from policies.workload_catalog import CATALOG, KyvernoParams, WorkloadControl

API_VERSION = "kyverno.io/v1"
KIND = "ClusterPolicy"
TWIN_ANNOTATION = "policies.devsecops/crossguard-rule"


def failure_action(control: WorkloadControl, params: KyvernoParams) -> str:
    """A critical control blocks in every environment (a privileged pod is never a dev convenience);
    the others follow the stack's setting, Audit in dev and Enforce in prod. The pack config of each
    environment makes the CrossGuard twin mandatory exactly where this enforces (a test proves it)."""
    return "Enforce" if control.severity == Severity.CRITICAL else params.failure_action


def _exclude(control: WorkloadControl, params: KyvernoParams) -> dict | None:
    """Namespaced kinds skip the excluded namespaces, a Namespace is skipped by its name, and a
    PersistentVolume belongs to no namespace, so nothing excludes it. Objects the control names are
    skipped too, of its own kinds only."""
    kinds = control.kyverno_kinds
    if kinds == ("PersistentVolume",):
        return None
    key = "names" if kinds == ("Namespace",) else "namespaces"
    entries = [{"resources": {key: list(params.excluded_namespaces)}}]
    if control.kyverno_excluded_names:
        entries.append({"resources": {"kinds": list(kinds), "names": list(control.kyverno_excluded_names)}})
    return {"any": entries}


def cluster_policy(control: WorkloadControl, params: KyvernoParams) -> dict:
    action = failure_action(control, params)
    params = replace(params, failure_action=action)
    match = {"any": [{"resources": {"kinds": list(control.kyverno_kinds)}}]}
    exclude = _exclude(control, params)
    scope = {"match": match, **({"exclude": exclude} if exclude else {})}
    rules = [{"name": r.name, **scope, **r.body(params)} for r in control.kyverno_rules]
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
            # A policy that only reports fails open when Kyverno is down; one that blocks fails closed.
            "webhookConfiguration": {"failurePolicy": "Fail" if action == "Enforce" else "Ignore"},
            "rules": rules,
        },
    }


def cluster_policies(params: KyvernoParams) -> list[dict]:
    """Every ClusterPolicy of the catalogue, in catalogue order."""
    return [cluster_policy(c, params) for c in CATALOG]


def required_policy_names() -> tuple[str, ...]:
    return tuple(c.kyverno_policy for c in CATALOG)
