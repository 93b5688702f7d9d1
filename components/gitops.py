"""ArgoCD from its Helm chart: server reachable only inside the cluster, local admin off when SSO
is configured, and one AppProject + Application that may sync only the configured repository into
the app namespace, with no cluster-scoped resources."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components import helm
from components.config import GitOpsSettings

NAMESPACE = "argocd"
PROJECT = "platform-app"
IN_CLUSTER = "https://kubernetes.default.svc"
COMPONENT_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
# Every Argo CD pod runs as this uid/gid (Kyverno 10100, External Secrets 10300, the app 10001-10003).
UID = 10200
# Objects the stack itself owns in the app namespace; Git must not override them.
STACK_OWNED_KINDS = ("ResourceQuota", "LimitRange", "NetworkPolicy")
# Nor may Git grant anyone API rights in the namespace (the app's pods run without tokens).
RBAC_KINDS = ("Role", "RoleBinding")


def oidc_config(settings: GitOpsSettings) -> str:
    return yaml.safe_dump({
        "name": "SSO",
        "issuer": settings.sso_issuer,
        "clientID": settings.sso_client_id,
        # Resolved by ArgoCD from argocd-secret; the value itself never enters the ConfigMap.
        "clientSecret": "$oidc.clientSecret",
        "requestedScopes": ["openid", "profile", "email", "groups"],
    }, sort_keys=True)


def chart_values(settings: GitOpsSettings, high_availability: bool) -> dict:
    replicas = 2 if high_availability else 1
    cm = {
        "exec.enabled": False,
        "users.anonymous.enabled": False,
        "admin.enabled": not settings.sso_enabled,
    }
    values = {
        # The chart applies global.securityContext to the pods of server, repo-server, controller and
        # applicationset; redis and the job that creates its password have their own contexts.
        "global": {"securityContext": helm.pod_identity(UID)},
        "configs": {
            "cm": cm,
            # TLS stays on at the server; nothing reaches it from outside the cluster anyway.
            "params": {"server.insecure": False},
            # Nobody gets access by default; roles are granted explicitly.
            "rbac": {"policy.default": ""},
        },
        "server": {"replicas": replicas, "service": {"type": "ClusterIP"}, "ingress": {"enabled": False}, "resources": COMPONENT_RESOURCES},
        "repoServer": {"replicas": replicas, "resources": COMPONENT_RESOURCES},
        "controller": {"replicas": 1, "resources": COMPONENT_RESOURCES},
        # Redis runs with persistence off (the chart passes --save "" --appendonly no), so the official
        # image writes nothing and needs no directory owned by its own uid 999.
        "redis": {"resources": COMPONENT_RESOURCES, "securityContext": helm.pod_identity(UID)},
        "redisSecretInit": {"containerSecurityContext": helm.container_identity(UID)},
        # SSO goes straight to the OIDC provider; Dex would be one more service to secure.
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
    }
    if settings.sso_enabled:
        cm["url"] = settings.url
        cm["oidc.config"] = oidc_config(settings)
        values["configs"]["secret"] = {"extra": {"oidc.clientSecret": settings.sso_client_secret}}
        values["configs"]["rbac"]["policy.csv"] = group_policy(settings)
    return values


def group_policy(settings: GitOpsSettings) -> str:
    """ArgoCD RBAC lines mapping SSO groups to the built-in roles; everyone else gets nothing."""
    lines = [f"g, {group}, role:admin" for group in settings.admin_groups]
    lines += [f"g, {group}, role:readonly" for group in settings.readonly_groups]
    return "\n".join(lines) + "\n"


def app_project(settings: GitOpsSettings, app_namespace: str) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": PROJECT, "namespace": NAMESPACE},
        "spec": {
            "description": "The app, synced from its GitOps repository into its namespace only",
            "sourceRepos": [settings.repo_url],
            "destinations": [{"server": IN_CLUSTER, "namespace": app_namespace}],
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": [{"group": "*", "kind": kind} for kind in STACK_OWNED_KINDS]
            + [{"group": "rbac.authorization.k8s.io", "kind": kind} for kind in RBAC_KINDS],
            "orphanedResources": {"warn": True},
        },
    }


def application(settings: GitOpsSettings, app_namespace: str) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "app", "namespace": NAMESPACE, "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {
            "project": PROJECT,
            "source": {"repoURL": settings.repo_url, "path": settings.path, "targetRevision": settings.revision},
            "destination": {"server": IN_CLUSTER, "namespace": app_namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                # The namespace is the stack's (with its Pod Security labels); ArgoCD never creates one.
                "syncOptions": ["CreateNamespace=false", "PruneLast=true"],
            },
        },
    }


@dataclass(frozen=True)
class GitOpsArgs:
    settings: GitOpsSettings
    app_namespace: str
    kubernetes_version: str
    high_availability: bool
    provider: k8s.Provider
    depends_on: tuple[pulumi.Resource, ...] = ()


class GitOps(pulumi.ComponentResource):
    def __init__(self, name: str, args: GitOpsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:gitops:GitOps", name, None, opts)
        self.namespace, self.release = helm.install(
            name, f"{name}-argocd", helm.ARGO_CD, NAMESPACE, chart_values(args.settings, args.high_availability),
            kubernetes_version=args.kubernetes_version, provider=args.provider, parent=self,
        )
        after_release = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.release, *args.depends_on])
        project = app_project(args.settings, args.app_namespace)
        self.project = k8s.apiextensions.CustomResource(
            f"{name}-appproject", api_version=project["apiVersion"], kind=project["kind"],
            metadata=project["metadata"], spec=project["spec"], opts=after_release,
        )
        app = application(args.settings, args.app_namespace)
        self.application = k8s.apiextensions.CustomResource(
            f"{name}-application", api_version=app["apiVersion"], kind=app["kind"],
            metadata=app["metadata"], spec=app["spec"],
            opts=pulumi.ResourceOptions.merge(after_release, pulumi.ResourceOptions(depends_on=[self.project])),
        )
        self.register_outputs({"project": PROJECT, "repoUrl": args.settings.repo_url})
