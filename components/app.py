"""The app's stateless services from config: each a restricted Deployment with its own
ServiceAccount (no token), a ClusterIP Service and a PodDisruptionBudget."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.config import Service
from components.workload_spec import (
    SECRETS_VOLUME_MOUNT, TMP_MOUNT, TMP_VOLUME, container_resources, container_security_context, env_list, http_probes,
    labels, pod_security_context, secret_volume, topology_spread,
)

# One fixed non-root identity for app containers, high enough to match no user of a node or an
# image; the images are built to run as any uid.
APP_UID = 10001


def deployment_spec(service: Service, part_of: str, secret_name: str, spread: bool) -> dict:
    """The Deployment spec of one service (pure, so tests and the manifest validator read it directly)."""
    pod_labels = labels(service.name, part_of)
    mounts, volumes = [dict(TMP_MOUNT)], [dict(TMP_VOLUME)]
    if service.secret_files:
        mounts.append(dict(SECRETS_VOLUME_MOUNT))
        volumes.append(secret_volume(secret_name, service.secret_files.values()))
    container = {
        "name": service.name,
        "image": service.image,
        "ports": [{"name": "http", "containerPort": service.port, "protocol": "TCP"}],
        "env": env_list(service.env, service.secret_files),
        "resources": container_resources(service.resources),
        "securityContext": container_security_context(APP_UID),
        "volumeMounts": mounts,
        **http_probes(service.health_path, service.readiness_path, service.port),
    }
    pod = {
        "serviceAccountName": service.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security_context(APP_UID),
        "containers": [container],
        "volumes": volumes,
    }
    if spread:
        pod["topologySpreadConstraints"] = topology_spread(service.name)
    return {
        "replicas": service.replicas,
        "selector": {"matchLabels": {"app.kubernetes.io/name": service.name}},
        # A new replica is ready before an old one goes, so a rollout never drops capacity.
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {"metadata": {"labels": pod_labels}, "spec": pod},
    }


@dataclass(frozen=True)
class AppArgs:
    namespace: str
    services: Mapping[str, Service]
    part_of: str
    # The Secret that External Secrets keeps in sync; secretFiles variables name files of its keys.
    secret_name: str
    spread_over_zones: bool
    provider: k8s.Provider
    depends_on: tuple[pulumi.Resource, ...] = ()


class App(pulumi.ComponentResource):
    def __init__(self, name: str, args: AppArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:app:App", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        self.deployments: dict[str, k8s.apps.v1.Deployment] = {}
        for service in args.services.values():
            metadata = {"name": service.name, "namespace": args.namespace, "labels": labels(service.name, args.part_of)}
            account = k8s.core.v1.ServiceAccount(
                f"{name}-{service.name}-sa", metadata=metadata, automount_service_account_token=False, opts=child,
            )
            self.deployments[service.name] = k8s.apps.v1.Deployment(
                f"{name}-{service.name}", metadata=metadata,
                spec=deployment_spec(service, args.part_of, args.secret_name, args.spread_over_zones),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[account])),
            )
            k8s.core.v1.Service(
                f"{name}-{service.name}-svc", metadata=metadata,
                spec={
                    "type": "ClusterIP",
                    "selector": {"app.kubernetes.io/name": service.name},
                    "ports": [{"name": "http", "port": service.port, "targetPort": "http", "protocol": "TCP"}],
                },
                opts=child,
            )
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-{service.name}-pdb", metadata=metadata,
                # At most one replica away at a time; a single replica can still be drained.
                spec={"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": service.name}}},
                opts=child,
            )
        self.register_outputs({"deployments": list(self.deployments)})
