"""RBAC grants that are privilege escalation paths even without bind, escalate or impersonate.

Each rule names the permissions of one path and reports every Role or ClusterRole rule that
reaches them (policies.rules.rbac_grants matches groups, resources, names and verbs as the API
server does). The stack registers no role of its own; the charts' roles are not expanded offline.
"""
from __future__ import annotations

from typing import Iterable

from policies.severity import Severity

from policies.frameworks import cis_eks, cis_k8s, nist
from policies.rule import Rule
from policies.rules.rbac_grants import CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLES, Permission, aggregated_into, \
    grants
from policies.values import text

CORE = ""
CERTIFICATES = "certificates.k8s.io"
ADMISSION = "admissionregistration.k8s.io"
TAGS = ("kubernetes", "rbac")
URL = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks"

# Naming the secrets a role reads is the least-privilege form of this grant, so names narrow it.
SECRET_READ = (Permission(CORE, "secrets", ("get", "list", "watch"), narrowed_by_names=True),)
# Built-in ClusterRoles that read every secret of the namespaces they are bound in.
BUILT_IN_SECRET_READERS = ("cluster-admin", "admin", "edit", "system:aggregate-to-edit")
# Exec, attach and port-forward are authorized as `create` on the pod's subresource.
POD_ACCESS = tuple(Permission(CORE, f"pods/{sub}", ("create",)) for sub in ("exec", "attach", "portforward"))
# The kubelet API behind the node proxy runs commands in every pod of the node; GET alone reaches it.
NODE_PROXY = (Permission(CORE, "nodes/proxy", ("get", "create", "update", "patch", "delete")),)
# Approving needs both halves; either half is half of a way to mint credentials for any identity.
CSR_APPROVAL = (
    Permission(CERTIFICATES, "certificatesigningrequests/approval", ("update", "patch")),
    Permission(CERTIFICATES, "signers", ("approve",)),
)
WEBHOOK_WRITE = tuple(
    Permission(ADMISSION, kind, ("create", "update", "patch", "delete", "deletecollection"))
    for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations")
)
TOKEN_CREATE = (Permission(CORE, "serviceaccounts/token", ("create",)),)
# A LoadBalancer's status.loadBalancer.ingress IPs steer cluster traffic to any address (CVE-2020-8554).
SERVICE_STATUS = (Permission(CORE, "services/status", ("update", "patch")),)


def _reaching(permissions: tuple[Permission, ...]):
    """A check reporting every role rule that reaches `permissions`, and where the role spreads."""
    def check(args, config) -> Iterable[str]:
        found = list(grants(args.props, permissions))
        if found and args.resource_type == CLUSTER_ROLE:
            found = [m + _spread(args.props) for m in found]
        return found
    return check


def _spread(props) -> str:
    roles = aggregated_into(props)
    return f"; aggregated into the built-in {', '.join(roles)} role(s), so it reaches their subjects" if roles else ""


def _cluster_secret_read(args, config) -> Iterable[str]:
    if args.resource_type == CLUSTER_ROLE_BINDING:
        role = text(args.props, "roleRef", "name")
        if role in BUILT_IN_SECRET_READERS:
            yield f"binds the built-in ClusterRole {role}, which reads secrets, in every namespace"
        return
    yield from _reaching(SECRET_READ)(args, config)


def _rule(name: str, description: str, severity: Severity, controls, remediation: str, check, types=ROLES) -> Rule:
    return Rule(name=name, description=description, severity=severity, controls=controls, tags=TAGS,
                remediation=remediation, url=URL, check=check, resource_types=types)


RULES = (
    _rule(
        "k8s-rbac-no-cluster-secret-read",
        "No ClusterRole reads secrets (get, list or watch on secrets not limited to named ones), and no "
        "ClusterRoleBinding grants a built-in role that reads them cluster-wide.",
        Severity.HIGH, (cis_eks("4.1.2"), cis_k8s("5.1.2")),
        "Read secrets through a namespaced Role limited by resourceNames, or mount them into the workload "
        "that needs them; bind admin and edit per namespace with RoleBindings.",
        _cluster_secret_read, types=(CLUSTER_ROLE, CLUSTER_ROLE_BINDING),
    ),
    _rule(
        "k8s-rbac-no-pod-exec",
        "No role grants create on pods/exec, pods/attach or pods/portforward: each runs as the pod, "
        "with its service account, secrets and network position.",
        Severity.HIGH, (nist("4.3.1"),),
        "Remove create on pods/exec, pods/attach and pods/portforward; debug through logs, or grant it "
        "for a session through a time-limited binding.",
        _reaching(POD_ACCESS),
    ),
    _rule(
        "k8s-rbac-no-node-proxy",
        "No role reaches nodes/proxy with any verb: the kubelet API behind it runs commands in every "
        "pod of the node and bypasses admission and audit.",
        Severity.HIGH, (cis_k8s("5.1.10"),),
        "Remove nodes/proxy from the role; read node metrics through metrics-server or nodes/metrics.",
        _reaching(NODE_PROXY),
    ),
    _rule(
        "k8s-rbac-no-csr-approval",
        "No role approves certificate signing requests (update on certificatesigningrequests/approval, "
        "approve on signers): an approved client certificate is a credential for any user or group.",
        Severity.HIGH, (cis_k8s("5.1.11"),),
        "Leave CSR approval to the control plane; remove update on certificatesigningrequests/approval "
        "and approve on signers.",
        _reaching(CSR_APPROVAL),
    ),
    _rule(
        "k8s-rbac-no-webhook-config-write",
        "No role writes validating or mutating webhook configurations: changing them switches admission "
        "control (Kyverno) off or sends every object to another server.",
        Severity.HIGH, (cis_k8s("5.1.12"),),
        "Remove create, update, patch and delete on validatingwebhookconfigurations and "
        "mutatingwebhookconfigurations; only the admission controller manages its own.",
        _reaching(WEBHOOK_WRITE),
    ),
    _rule(
        "k8s-rbac-no-sa-token-create",
        "No role creates service account tokens (create on serviceaccounts/token): a token acts as that "
        "service account with all of its permissions.",
        Severity.HIGH, (cis_k8s("5.1.13"),),
        "Remove create on serviceaccounts/token; pods receive their own projected tokens.",
        _reaching(TOKEN_CREATE),
    ),
    _rule(
        "k8s-rbac-no-service-status-write",
        "No role writes services/status: a LoadBalancer status with chosen IPs redirects cluster traffic "
        "to any address (CVE-2020-8554).",
        Severity.MEDIUM, (nist("4.3.1"),),
        "Remove update and patch on services/status; only the load balancer controller sets it.",
        _reaching(SERVICE_STATUS),
    ),
)
