"""A namespace the stack owns: Pod Security Admission `restricted` (enforce, audit, warn), a
LimitRange giving defaults to containers that declare nothing, and optionally a ResourceQuota."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.config import Resources
from components.quantities import cpu_millicores, mebibytes, memory_bytes, millicores

PSA_LEVEL = "restricted"
# Containers from charts that declare no resources still get bounded requests and limits.
DEFAULT_REQUESTS = {"cpu": "50m", "memory": "64Mi"}
DEFAULT_LIMITS = {"cpu": "500m", "memory": "512Mi"}


def psa_labels(kubernetes_version: str) -> dict[str, str]:
    labels = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = PSA_LEVEL
        # Pinned to the cluster's version so an upgrade cannot silently change what is admitted.
        labels[f"pod-security.kubernetes.io/{mode}-version"] = f"v{kubernetes_version}"
    return labels


@dataclass(frozen=True)
class RestrictedNamespaceArgs:
    name: str
    kubernetes_version: str
    provider: k8s.Provider
    # ResourceQuota hard limits, e.g. {"limits.cpu": "4000m", "pods": "10"}; empty means no quota.
    quota: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


class RestrictedNamespace(pulumi.ComponentResource):
    def __init__(self, name: str, args: RestrictedNamespaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:namespace:RestrictedNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.namespace = k8s.core.v1.Namespace(
            name,
            metadata={"name": args.name, "labels": {**args.labels, **psa_labels(args.kubernetes_version)}},
            opts=child,
        )
        self.name = args.name
        in_namespace = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.namespace])
        self.limit_range = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata={"name": "container-defaults", "namespace": args.name},
            spec={"limits": [{"type": "Container", "defaultRequest": dict(DEFAULT_REQUESTS), "default": dict(DEFAULT_LIMITS)}]},
            opts=in_namespace,
        )
        self.quota = None
        if args.quota:
            self.quota = k8s.core.v1.ResourceQuota(
                f"{name}-quota",
                metadata={"name": "namespace-quota", "namespace": args.name},
                spec={"hard": dict(args.quota)},
                opts=in_namespace,
            )
        self.register_outputs({"name": args.name})


def workload_quota(workloads: Iterable[tuple[Resources, int]], pods_per_replica: int = 2) -> dict[str, str]:
    """Hard limits for a namespace running exactly these (resources, replicas) workloads.

    Every replica may have a surge twin during a rollout (pods_per_replica); the namespace may
    hold no LoadBalancer or NodePort Service, so nothing in it is exposed past the cluster.
    """
    pods = cpu_req = cpu_lim = mem_req = mem_lim = 0
    for resources, replicas in workloads:
        count = replicas * pods_per_replica
        pods += count
        cpu_req += count * cpu_millicores(resources.requests["cpu"])
        cpu_lim += count * cpu_millicores(resources.limits["cpu"])
        mem_req += count * memory_bytes(resources.requests["memory"])
        mem_lim += count * memory_bytes(resources.limits["memory"])
    return {
        "pods": str(pods),
        "requests.cpu": millicores(cpu_req),
        "limits.cpu": millicores(cpu_lim),
        "requests.memory": mebibytes(mem_req),
        "limits.memory": mebibytes(mem_lim),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
