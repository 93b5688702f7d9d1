"""Kubernetes exposure and RBAC: Service types, no wildcards, no cluster-admin, no escalation verbs."""
from __future__ import annotations

from pulumi_policy import Severity

from policies.frameworks import cis_eks, cis_k8s, nist
from policies.rule import Rule, config_value
from policies.values import get, is_set, objects, strings, text

SERVICE = "kubernetes:core/v1:Service"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLES = (f"{RBAC}:Role", f"{RBAC}:ClusterRole")
BINDINGS = (f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding")
ESCALATION_VERBS = ("bind", "escalate", "impersonate")
# What those verbs act on: roles (escalate), bindings' roles (bind), identities (impersonate).
ESCALATION_RESOURCES = ("*", "roles", "clusterroles", "users", "groups", "serviceaccounts", "uids", "userextras/*")
TAGS = ("kubernetes", "rbac")

SERVICE_CONFIG = {
    "allowedTypes": {"type": "array", "items": {"type": "string"}, "default": ["ClusterIP"],
                     "description": "Service types any Service may use."},
    "exemptServices": {"type": "array", "items": {"type": "string"}, "default": [],
                       "description": "'namespace/name' of Services allowed another type (the ingress load balancer)."},
}


def _service_type(args, config):
    kind = text(args.props, "spec", "type", default="ClusterIP")
    # externalIPs make any type answer on node addresses (presence: unknown addresses still expose).
    external_ips = is_set(args.props, "spec", "externalIPs")
    if kind in config_value(config, SERVICE_CONFIG, "allowedTypes") and not external_ips:
        return
    ident = f"{text(args.props, 'metadata', 'namespace', default='default')}/{text(args.props, 'metadata', 'name')}"
    if ident in config_value(config, SERVICE_CONFIG, "exemptServices"):
        return
    if kind not in config_value(config, SERVICE_CONFIG, "allowedTypes"):
        yield f"Service {ident} is of type {kind}, which exposes it outside the cluster"
    if external_ips:
        yield f"Service {ident} sets externalIPs, which exposes it on those addresses outside the cluster"


def _rbac_wildcards(args, config):
    for place, rule in objects(args.props, "rules"):
        for field in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
            if "*" in strings(rule, field, at=place):
                yield f"{place}.{field} contains '*'"


def _cluster_admin_binding(args, config):
    if get(args.props, "roleRef", "name") == "cluster-admin":
        yield "binds the cluster-admin ClusterRole"
    for _, subject in objects(args.props, "subjects"):
        if get(subject, "kind") == "Group" and get(subject, "name") == "system:masters":
            yield "binds the system:masters group"


def _escalation_verbs(args, config):
    for place, rule in objects(args.props, "rules"):
        verbs = strings(rule, "verbs", at=place)
        named = [v for v in verbs if v in ESCALATION_VERBS]
        if named:
            yield f"{place} grants {', '.join(named)}"
        elif "*" in verbs and any(r in ESCALATION_RESOURCES for r in strings(rule, "resources", at=place)):
            yield f"{place} grants bind, escalate and impersonate through verbs '*' on RBAC or identity resources"


_RBAC_URL = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"

RULES = (
    Rule(
        name="k8s-service-type-restricted",
        description="Services stay inside the cluster (ClusterIP, no externalIPs) unless config exempts that Service.",
        severity=Severity.HIGH,
        controls=(nist("4.4.2"),),
        tags=("kubernetes", "network", "exposure"),
        remediation="Use type ClusterIP without externalIPs and expose through the ingress; list intended "
                    "load balancers in exemptServices.",
        url="https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
        check=_service_type,
        resource_types=(SERVICE,),
        config=SERVICE_CONFIG,
    ),
    Rule(
        name="k8s-rbac-no-wildcards",
        description="Roles and ClusterRoles name their API groups, resources, verbs and non-resource URLs; no '*'.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.1.3"), cis_k8s("5.1.3")),
        tags=TAGS,
        remediation="List the exact apiGroups, resources, verbs and nonResourceURLs the subject needs.",
        url=_RBAC_URL,
        check=_rbac_wildcards,
        resource_types=ROLES,
    ),
    Rule(
        name="k8s-rbac-no-cluster-admin-binding",
        description="No binding grants cluster-admin or the system:masters group.",
        severity=Severity.CRITICAL,
        controls=(cis_eks("4.1.1"), cis_eks("4.1.7"), cis_k8s("5.1.1")),
        tags=TAGS,
        remediation="Bind a role scoped to what the subject needs instead of cluster-admin.",
        url=_RBAC_URL,
        check=_cluster_admin_binding,
        resource_types=BINDINGS,
    ),
    Rule(
        name="k8s-rbac-no-escalation-verbs",
        description="No role grants the bind, escalate or impersonate verbs, by name or through verbs '*' "
                    "on roles, bindings' roles or identities.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.1.8"), cis_k8s("5.1.8")),
        tags=TAGS,
        remediation="Remove bind, escalate and impersonate from the role's verbs, and list exact verbs "
                    "instead of '*' on RBAC and identity resources.",
        url=_RBAC_URL,
        check=_escalation_verbs,
        resource_types=ROLES,
    ),
)
