"""What a cluster would hold after `pulumi up` of the plan, for the smoke run: the workloads with
their pod specs, Services, ConfigMaps, ServiceAccounts and the synced Secrets' values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from preflight.manifests import api_version_of, is_manifest_type, whole_numbers
from preflight.model import Plan
from preflight.smoke.secret_values import synced_secrets

NAME_LABEL = "app.kubernetes.io/name"
SERVING_KINDS = ("Deployment", "StatefulSet")


class ClusterError(ValueError):
    pass


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    pod_labels: dict[str, str]
    pod: dict[str, Any]  # the pod spec
    claims: dict[str, dict[str, Any]]  # a StatefulSet's volumeClaimTemplates by name
    termination_grace_seconds: int

    @property
    def serving(self) -> bool:
        return self.kind in SERVING_KINDS


@dataclass(frozen=True)
class Cluster:
    workloads: dict[str, Workload]
    services: dict[str, dict[str, Any]]  # name -> spec
    config_maps: dict[str, dict[str, str]]
    secrets: dict[str, dict[str, str]]
    service_accounts: dict[str, dict[str, Any]]  # name -> metadata
    # This stack's ECR repository names (e.g. devsecops-dev/backend) -> the app they hold.
    app_repositories: dict[str, str]
    buckets: list[str]

    def serving(self) -> list[Workload]:
        return [w for w in self.workloads.values() if w.serving]

    def backing(self, service: dict[str, Any]) -> Workload:
        """The workload whose pods a Service selects (by the name label every workload carries)."""
        wanted = service["selector"].get(NAME_LABEL)
        for workload in self.workloads.values():
            if workload.serving and workload.pod_labels.get(NAME_LABEL) == wanted:
                return workload
        raise ClusterError(f"no workload has the label {NAME_LABEL}={wanted} a Service selects")


def _known(value: Any) -> Any:
    """The value with whole numbers as integers, every part of it known."""
    _require_known(value)
    return whole_numbers(value)


def _require_known(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _require_known(item)
    elif isinstance(value, list):
        for item in value:
            _require_known(item)
    elif value == UNKNOWN:
        raise ClusterError("a value of a workload is unknown until `pulumi up`; the smoke run needs every value")


def _workload(kind: str, doc: dict[str, Any]) -> Workload:
    spec = doc["spec"]["jobTemplate"]["spec"] if kind == "CronJob" else doc["spec"]
    template = spec["template"]
    pod = dict(template["spec"])
    claims = {c["metadata"]["name"]: c["spec"] for c in doc["spec"].get("volumeClaimTemplates", [])}
    return Workload(kind, doc["metadata"]["name"], template.get("metadata", {}).get("labels", {}), pod, claims,
                    pod.get("terminationGracePeriodSeconds", 30))


def cluster_of(plan: Plan) -> Cluster:
    workloads, services, config_maps, accounts, buckets = {}, {}, {}, {}, []
    for resource in plan.resources:
        if resource.type == "aws:s3/bucket:Bucket" and "bucket" in resource.inputs:  # named by the program
            buckets.append(resource.inputs["bucket"])
        if not is_manifest_type(resource.type):
            continue
        _, kind = api_version_of(resource.type)
        doc = _known(resource.inputs) if kind in ("Deployment", "StatefulSet", "CronJob", "Service", "ConfigMap",
                                                  "ServiceAccount") else None
        if doc is None:
            continue
        name = doc["metadata"]["name"]
        if kind == "Service":
            services[name] = doc["spec"]
        elif kind == "ConfigMap":
            config_maps[name] = doc.get("data", {})
        elif kind == "ServiceAccount":
            accounts[name] = doc["metadata"]
        else:
            workloads[name] = _workload(kind, doc)
    repositories = {repository: app for app, repository in plan.outputs.get("ecrRepositoryNames", {}).items()}
    return Cluster(workloads, services, config_maps, synced_secrets(plan), accounts, repositories, buckets)
