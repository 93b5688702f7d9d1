"""Kubernetes manifests and workload pod specs as the plan recorded them."""
from __future__ import annotations

from typing import Any

from preflight.manifests import whole_numbers
from preflight.model import Plan, RecordedResource

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "CronJob"}
# Types whose schema comes from a CRD, not from the Kubernetes API's own OpenAPI document.
CRD_GROUPS = ("kyverno.io/", "argoproj.io/", "external-secrets.io/")


def is_manifest(resource: RecordedResource) -> bool:
    """A Kubernetes object (not the provider, not a Helm release)."""
    return resource.type.startswith("kubernetes:") and not resource.type.startswith(("kubernetes:helm.sh/", "pulumi:"))


def api_version_and_kind(resource: RecordedResource) -> tuple[str, str]:
    _, group_version, kind = resource.type.split(":")
    return (group_version.removeprefix("core/"), kind)


def manifest(resource: RecordedResource) -> dict[str, Any]:
    api_version, kind = api_version_and_kind(resource)
    return {**whole_numbers(resource.inputs), "apiVersion": api_version, "kind": kind}


def manifests(plan: Plan) -> list[dict[str, Any]]:
    return [manifest(r) for r in plan.resources if is_manifest(r)]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def workloads(plan: Plan) -> list[dict[str, Any]]:
    return [m for m in manifests(plan) if m["kind"] in WORKLOAD_KINDS]


def network_policies(plan: Plan) -> list[dict[str, Any]]:
    return [m for m in manifests(plan) if m["kind"] == "NetworkPolicy"]
