"""Helm releases the platform installs: chart name, pinned version and repository kept together."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.namespace import RestrictedNamespace, RestrictedNamespaceArgs


@dataclass(frozen=True)
class Chart:
    name: str
    version: str  # pinned; upgrades are a reviewed change to this constant
    repository: str


# Versions checked against Kubernetes 1.32-1.34 (components/config_rules.SUPPORTED_KUBERNETES_VERSIONS).
KYVERNO = Chart("kyverno", "3.7.2", "https://kyverno.github.io/kyverno/")
ARGO_CD = Chart("argo-cd", "9.1.0", "https://argoproj.github.io/argo-helm")
EXTERNAL_SECRETS = Chart("external-secrets", "1.3.2", "https://charts.external-secrets.io")


def pod_identity(uid: int) -> dict:
    """A chart's pods run as one fixed, high uid/gid of the stack's choosing, never the image's or
    chart's default. fsGroup makes the emptyDir volumes the charts mount writable for that uid."""
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid}


def container_identity(uid: int) -> dict:
    """The same identity on a container: a chart's container default (e.g. runAsUser: 1000) wins over
    the pod's. Helm merges this map into the chart's, so its other hardening stays."""
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid}


def release(
    name: str, chart: Chart, namespace: str, values: Mapping[str, Any], *,
    provider: k8s.Provider, parent: pulumi.Resource, depends_on: list[pulumi.Resource],
) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(
        name,
        name=chart.name,
        chart=chart.name,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
        namespace=namespace,
        # The namespace is the stack's own, with Pod Security labels; Helm must not create a bare one.
        create_namespace=False,
        values=dict(values),
        # A failed install or upgrade rolls back instead of leaving half a controller running.
        atomic=True,
        cleanup_on_fail=True,
        timeout=900,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=depends_on),
    )


def install(
    name: str, release_name: str, chart: Chart, namespace: str, values: Mapping[str, Any], *,
    kubernetes_version: str, provider: k8s.Provider, parent: pulumi.Resource, depends_on: tuple[pulumi.Resource, ...] = (),
) -> tuple[RestrictedNamespace, k8s.helm.v3.Release]:
    """A platform controller in its own restricted namespace; the release waits for the namespace's limits."""
    own_namespace = RestrictedNamespace(
        f"{name}-namespace",
        RestrictedNamespaceArgs(name=namespace, kubernetes_version=kubernetes_version, provider=provider),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    chart_release = release(
        release_name, chart, namespace, values,
        provider=provider, parent=parent, depends_on=[own_namespace.limit_range, *depends_on],
    )
    return own_namespace, chart_release
