"""Service accounts: nothing is granted to `default`, and no token is stored as a long-lived Secret.

Workloads running as their own account and accounts not automounting tokens are catalogue controls
(policies.workload_catalog), checked by Kyverno too; bindings and Secrets are judged here alone.
"""
from __future__ import annotations

from typing import Iterable

from policies.severity import Severity

from policies.frameworks import cis_eks, cis_k8s, nist_800_53
from policies.rule import Rule
from policies.rules.rbac_grants import BINDINGS
from policies.values import objects, text

SECRET = "kubernetes:core/v1:Secret"
DEFAULT = "default"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
TAGS = ("kubernetes", "service-account")
URL = "https://kubernetes.io/docs/concepts/security/service-accounts/"


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


def _binding_account(args, config) -> Iterable[str]:
    for place, subject in objects(args.props, "subjects"):
        reason = _default_subject(place, subject)
        if reason:
            yield f"{reason}: every pod that names no service account gains the role"


def _token_secret(args, config) -> Iterable[str]:
    if text(args.props, "type") == TOKEN_SECRET_TYPE:
        yield f"a {TOKEN_SECRET_TYPE} Secret holds a token that never expires"


RULES = (
    Rule(
        name="k8s-no-default-service-account-binding",
        description="No binding grants a role to a default service account (or to all service accounts).",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.1.5"), cis_k8s("5.1.5")),
        tags=TAGS,
        remediation="Bind roles to the workload's own ServiceAccount only.",
        url=URL,
        check=_binding_account,
        resource_types=BINDINGS,
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
