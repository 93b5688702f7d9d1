"""IAM: no wildcard actions, no administrator grants, federated trust pinned to one identity."""
from __future__ import annotations

import re

from policies.severity import Severity

from policies.frameworks import cis_eks, fsbp, nist, nist_800_53
from policies.rule import Rule, config_value
from policies.rules.iam_documents import (
    actions, allows, condition_values, conditions, grants_action, open_to_everyone, principals, statement_id,
    statements,
)
from policies.values import as_list, get, json_document, objects, shown

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
# Operators that pin a key to the listed values. ForAllValues:StringEquals is not one: it holds when
# the key is absent from the request.
EQUALS = ("StringEquals", "ForAnyValue:StringEquals")
TAGS = ("iam",)


def _permission_documents(args):
    """(label, document) for every permission policy the resource carries."""
    if args.resource_type in (ROLE_POLICY, POLICY):
        yield "policy", json_document(args.props, "policy")
    elif args.resource_type == ROLE:
        for place, inline in objects(args.props, "inlinePolicies"):
            yield place, json_document(inline, "policy", at=place)


def _is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def _wildcard_action(args, config):
    for label, document in _permission_documents(args):
        for i, statement in enumerate(statements(document)):
            if not allows(statement):
                continue
            if statement.get("NotAction") is not None:
                yield f"{label} statement {statement_id(statement, i)} allows NotAction (everything else)"
            wild = [a for a in actions(statement) if _is_wildcard_action(a)]
            if wild:
                yield f"{label} statement {statement_id(statement, i)} allows wildcard actions {', '.join(wild)}"


ADMIN_CONFIG = {
    "deniedManagedPolicies": {
        "type": "array", "items": {"type": "string"},
        "default": ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"],
        "description": "AWS managed policy names that grant administrator-level access.",
    },
}


def _admin(args, config):
    denied = set(config_value(config, ADMIN_CONFIG, "deniedManagedPolicies"))
    arns = []
    if args.resource_type == ROLE:
        arns = as_list(get(args.props, "managedPolicyArns"))
    elif args.resource_type in ATTACHMENTS:
        arns = [get(args.props, "policyArn")]
    for arn in arns:
        if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in denied and ":aws:policy/" in arn:
            yield f"attaches administrator policy {arn}"
    if args.resource_type in ATTACHMENTS:
        return
    for label, document in _permission_documents(args):
        for i, statement in enumerate(statements(document)):
            resources = as_list(statement.get("Resource"))
            if allows(statement) and set(actions(statement)) & {"*", "*:*"} and "*" in resources:
                yield f"{label} statement {statement_id(statement, i)} grants '*' on '*' (full administrator)"


CI_CONFIG = {
    "ciIssuers": {
        "type": "array", "items": {"type": "string"},
        "default": ["token.actions.githubusercontent.com", "vstoken.dev.azure.com", "gitlab.com"],
        "description": "OIDC issuers of CI systems; web-identity trust on these is a CI role, any other is IRSA.",
    },
}


def _web_identity_statements(args, ci_issuers, want_ci: bool):
    """(label, issuer, statement) for web-identity trust statements of one kind (CI or IRSA)."""
    document = json_document(args.props, "assumeRolePolicy")
    for i, statement in enumerate(statements(document)):
        if not allows(statement) or not grants_action(statement, WEB_IDENTITY):
            continue
        federated = " ".join(principals(statement, "Federated"))
        keys = " ".join(k for entries in conditions(statement).values() for k in entries)
        is_ci = any(issuer in federated or issuer in keys for issuer in ci_issuers)
        if is_ci == want_ci:
            yield statement_id(statement, i), statement


def _pinned_audience(statement) -> bool:
    return bool(condition_values(statement, ":aud", EQUALS))


def _irsa(args, config):
    ci_issuers = config_value(config, CI_CONFIG, "ciIssuers")
    for sid, statement in _web_identity_statements(args, ci_issuers, want_ci=False):
        subjects = condition_values(statement, ":sub", EQUALS)
        if not subjects:
            yield f"trust statement {sid} is not pinned with StringEquals on ':sub'"
        elif len(subjects) != 1 or not re.fullmatch(r"system:serviceaccount:[^:*?]+:[^:*?]+", str(subjects[0])):
            named = [s if isinstance(s, str) else shown(s) for s in subjects]  # never a container's repr
            yield f"trust statement {sid} ':sub' must name exactly one service account, got {named}"
        if not _pinned_audience(statement):
            yield f"trust statement {sid} does not pin ':aud' (sts.amazonaws.com)"


_GITHUB_SUBJECT = re.compile(r"repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(:.*)?")


def _ci(args, config):
    ci_issuers = config_value(config, CI_CONFIG, "ciIssuers")
    for sid, statement in _web_identity_statements(args, ci_issuers, want_ci=True):
        subjects = condition_values(statement, ":sub", EQUALS + ("StringLike",))
        if not subjects:
            yield f"trust statement {sid} does not restrict ':sub'; any pipeline of the CI provider could assume it"
        for subject in subjects or []:
            text = str(subject)
            pinned = _GITHUB_SUBJECT.fullmatch(text) if text.startswith("repo:") else "*" not in text
            if not pinned:
                yield f"trust statement {sid} ':sub' {text!r} is not pinned to one repository"
        if not _pinned_audience(statement):
            yield f"trust statement {sid} does not pin ':aud'"


def _open_trust(args, config):
    for sid in open_to_everyone(json_document(args.props, "assumeRolePolicy")):
        yield f"trust statement {sid} lets any principal ('*') assume the role without a condition that constrains who"


RULES = (
    Rule(
        name="iam-role-trust-no-wildcard-principal",
        description="Role trust policies name who may assume the role: no '*' principal (or NotPrincipal) "
                    "without a condition that constrains it.",
        severity=Severity.CRITICAL,
        controls=(nist_800_53("AC-3"),),
        tags=TAGS + ("trust",),
        remediation="Name the trusted account, role, service or OIDC provider in Principal; for a shared "
                    "principal add conditions such as aws:PrincipalOrgID or aws:SourceAccount.",
        url="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy",
        check=_open_trust,
        resource_types=(ROLE,),
    ),
    Rule(
        name="iam-no-wildcard-action",
        description="IAM permission policies allow no wildcard actions ('*', '<service>:*') and no NotAction.",
        severity=Severity.HIGH,
        controls=(fsbp("IAM.21"),),
        tags=TAGS + ("least-privilege",),
        remediation="List the exact actions the principal needs.",
        url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
        check=_wildcard_action,
        resource_types=(ROLE, ROLE_POLICY, POLICY),
    ),
    Rule(
        name="iam-no-admin-policy",
        description="No principal gets administrator access: no '*' on '*', no AWS managed admin policies.",
        severity=Severity.CRITICAL,
        controls=(fsbp("IAM.1"),),
        tags=TAGS + ("least-privilege",),
        remediation="Replace administrator grants with policies scoped to the actions and resources needed.",
        url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
        check=_admin,
        resource_types=(ROLE, ROLE_POLICY, POLICY) + ATTACHMENTS,
        config=ADMIN_CONFIG,
    ),
    Rule(
        name="iam-irsa-trust-pinned",
        description="IRSA roles trust exactly one Kubernetes service account (StringEquals on the OIDC "
                    "':sub' and ':aud' keys).",
        severity=Severity.HIGH,
        controls=(cis_eks("5.2.1"),),
        tags=TAGS + ("irsa", "eks"),
        remediation="Condition the trust policy on StringEquals '<issuer>:sub' = "
                    "'system:serviceaccount:<namespace>:<name>' and '<issuer>:aud' = 'sts.amazonaws.com'.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html",
        check=_irsa,
        resource_types=(ROLE,),
        config=CI_CONFIG,
    ),
    Rule(
        name="iam-ci-oidc-trust-pinned",
        description="CI roles federated through OIDC trust one repository (':sub') and one audience (':aud').",
        severity=Severity.CRITICAL,
        controls=(nist("4.2.3"),),
        tags=TAGS + ("ci", "supply-chain"),
        remediation="Condition the trust policy on '<issuer>:sub' = 'repo:<owner>/<repo>:...' and "
                    "'<issuer>:aud' = 'sts.amazonaws.com'.",
        url="https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
        check=_ci,
        resource_types=(ROLE,),
        config=CI_CONFIG,
    ),
)
