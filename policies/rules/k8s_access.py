"""Kubernetes exposure and RBAC: Service types, no wildcards, no cluster-admin, no escalation
verbs, nothing granted to anonymous or every authenticated user."""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import cis_eks, cis_k8s, nist, nist_800_53
from policies.rule import Rule, config_value
from policies.rules.rbac_grants import BINDINGS, RBAC_GROUP, ROLES, Permission, grants
from policies.values import is_set, objects, strings, text

SERVICE = "kubernetes:core/v1:Service"
# bind and escalate act on roles; impersonate on identities: users, groups and service accounts in
# the core group, uids and user extras in authentication.k8s.io. The same verbs elsewhere grant nothing.
ESCALATION = (
    Permission(RBAC_GROUP, "roles", ("bind", "escalate")),
    Permission(RBAC_GROUP, "clusterroles", ("bind", "escalate")),
    *(Permission("", identity, ("impersonate",)) for identity in ("users", "groups", "serviceaccounts")),
    *(Permission("authentication.k8s.io", identity, ("impersonate",)) for identity in ("uids", "userextras/*")),
)
# Every request without credentials, or every identity the cluster authenticates at all.
EVERYONE = ("system:anonymous", "system:unauthenticated", "system:authenticated")
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
    if text(args.props, "roleRef", "name") == "cluster-admin":
        yield "binds the cluster-admin ClusterRole"
    for place, subject in objects(args.props, "subjects"):
        if text(subject, "kind", at=place) == "Group" and text(subject, "name", at=place) == "system:masters":
            yield "binds the system:masters group"


def _escalation_verbs(args, config):
    return grants(args.props, ESCALATION)


def _binding_to_everyone(args, config):
    for place, subject in objects(args.props, "subjects"):
        kind, name = text(subject, "kind", at=place), text(subject, "name", at=place)
        if kind in ("Group", "User") and name in EVERYONE:
            yield f"{place} grants the role to {kind} {name}: everyone who reaches the API server holds it"


_RBAC_URL = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"

RULES = (
    Rule(
        name="k8s-service-type-restricted",
        description="Services stay inside the cluster (ClusterIP, no externalIPs) unless config exempts that Service.",
        severity=Severity.HIGH,
        controls=(nist_800_53("SC-7"),),
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
        controls=(cis_eks("4.1.1"), cis_k8s("5.1.1")),
        tags=TAGS,
        remediation="Bind a role scoped to what the subject needs instead of cluster-admin.",
        url=_RBAC_URL,
        check=_cluster_admin_binding,
        resource_types=BINDINGS,
    ),
    Rule(
        name="k8s-rbac-no-escalation-verbs",
        description="No role grants bind or escalate on roles and cluster roles, or impersonate on users, "
                    "groups, service accounts, uids or user extras (by name or through '*').",
        severity=Severity.HIGH,
        controls=(cis_eks("4.1.8"), cis_k8s("5.1.8")),
        tags=TAGS,
        remediation="Remove bind, escalate and impersonate on roles and identities from the role, and list "
                    "exact verbs instead of '*' on RBAC and identity resources.",
        url=_RBAC_URL,
        check=_escalation_verbs,
        resource_types=ROLES,
    ),
    Rule(
        name="k8s-rbac-no-binding-to-everyone",
        description="No RoleBinding or ClusterRoleBinding grants a role to system:anonymous, "
                    "system:unauthenticated or system:authenticated (as a Group or a User).",
        severity=Severity.CRITICAL,
        controls=(nist("4.3.2"), nist_800_53("AC-14")),
        tags=TAGS,
        remediation="Bind the role to the named users, groups or service accounts that need it.",
        url="https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles",
        check=_binding_to_everyone,
        resource_types=BINDINGS,
    ),
)
