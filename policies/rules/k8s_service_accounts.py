"""Service accounts: workloads run as their own, nothing is granted to `default`, tokens are
neither mounted by default nor stored as long-lived Secrets."""
from __future__ import annotations

from typing import Iterable

from pulumi_policy import Severity

from policies.frameworks import cis_eks, cis_k8s, nist_800_53
from policies.pods import WORKLOADS
from policies.rule import Rule
from policies.rules.rbac_grants import BINDINGS
from policies.values import flag, mapping, objects, text, where

SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
DEFAULT = "default"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
TAGS = ("kubernetes", "service-account")
URL = "https://kubernetes.io/docs/concepts/security/service-accounts/"


def _workload_account(resource_type: str, props) -> Iterable[str]:
    path = WORKLOADS[resource_type][1]
    at = where("", *path)
    spec = mapping(props, *path)
    # serviceAccount is the deprecated spelling; the API server uses serviceAccountName when both are set.
    name = text(spec, "serviceAccountName", at=at) or text(spec, "serviceAccount", at=at)
    if not name:
        yield f"{at} names no service account, so its pods run as the namespace's default one"
    elif name == DEFAULT:
        yield f"{at}.serviceAccountName is the namespace's default service account"


def _default_subject(place: str, subject) -> str | None:
    """Why a binding subject is (or includes) a default service account, or None."""
    kind, name = text(subject, "kind", at=place), text(subject, "name", at=place)
    if kind == "ServiceAccount" and name == DEFAULT:
        namespace = text(subject, "namespace", at=place)
        return f"{place} is the default service account" + (f" of namespace {namespace}" if namespace else "")
    if kind == "User" and name and name.startswith("system:serviceaccount:") and name.endswith(f":{DEFAULT}"):
        return f"{place} is the default service account {name}"
    if kind == "Group" and name and (name == "system:serviceaccounts" or name.startswith("system:serviceaccounts:")):
        return f"{place} is group {name}, which holds every service account in it, default included"
    return None


def _binding_account(props) -> Iterable[str]:
    for place, subject in objects(props, "subjects"):
        reason = _default_subject(place, subject)
        if reason:
            yield f"{reason}: every pod that names no service account gains the role"


def _default_service_account(args, config) -> Iterable[str]:
    if args.resource_type in BINDINGS:
        return _binding_account(args.props)
    return _workload_account(args.resource_type, args.props)


def _account_automount(args, config) -> Iterable[str]:
    if flag(args.props, "automountServiceAccountToken") is not False:
        yield "automountServiceAccountToken is not false: every pod using this account mounts its API token"


def _token_secret(args, config) -> Iterable[str]:
    if text(args.props, "type") == TOKEN_SECRET_TYPE:
        yield f"a {TOKEN_SECRET_TYPE} Secret holds a token that never expires"


RULES = (
    Rule(
        name="k8s-no-default-service-account",
        description="Workloads run as their own service account, never the namespace's default one, and no "
                    "binding grants a role to a default service account (or to all service accounts).",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.1.5"), cis_k8s("5.1.5")),
        tags=TAGS,
        remediation="Create a ServiceAccount per workload, set serviceAccountName to it, and bind roles to that "
                    "account only.",
        url=URL,
        check=_default_service_account,
        resource_types=tuple(WORKLOADS) + BINDINGS,
    ),
    Rule(
        name="k8s-service-account-no-automount",
        description="ServiceAccounts set automountServiceAccountToken false; a pod that calls the API opts in "
                    "itself.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.1.6"), cis_k8s("5.1.6")),
        tags=TAGS,
        remediation="Set automountServiceAccountToken: false on the ServiceAccount; set it true on the pods "
                    "that call the Kubernetes API.",
        url="https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
            "#opt-out-of-api-credential-automounting",
        check=_account_automount,
        resource_types=(SERVICE_ACCOUNT,),
    ),
    Rule(
        name="k8s-no-service-account-token-secret",
        description="No Secret of type kubernetes.io/service-account-token: such a token never expires and "
                    "outlives every rotation.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("IA-5"),),
        tags=TAGS,
        remediation="Delete the Secret; let pods use their projected, expiring tokens, or request one with the "
                    "TokenRequest API (kubectl create token).",
        url="https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets",
        check=_token_secret,
        resource_types=(SECRET,),
    ),
)
