"""The CI role's trust policy: only the pinned OIDC identity may assume it.

Every Allow statement must be web-identity federation from the configured issuer's provider in
the stack's account, with `sub` pinned by StringEquals to exactly the configured subject
(`repo:<ciRepository>:ref:refs/heads/<ciBranch>`, or the Azure DevOps service connection) and
`aud` to the configured audience. One loose statement is enough to let another repository
deploy, so all must hold. Only StringEquals pins a claim: StringLike matches patterns, the
`...IfExists` and `ForAllValues:` forms match a token without the claim, so the claim under any
other operator fails the control, and a wildcard (`*`, `?`) never passes, wherever it appears.
"""
from __future__ import annotations

import re
from typing import Any

from ..account import Account
from ..control import Control, Verdict
from ..outputs import StackOutputs, clipped
from ..policy_documents import as_list, parse, statements

RULE = "iam-ci-oidc-trust-pinned"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
PINNING_OPERATOR = "StringEquals"
WILDCARDS = ("*", "?")


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def evaluate() -> Verdict:
        role_name = outputs.require("ciRoleName")
        issuer = outputs.require("ciTrust.issuer").removeprefix("https://").rstrip("/")
        subject = outputs.require("ciTrust.subject")
        expected = {f"{issuer}:sub": subject, f"{issuer}:aud": outputs.require("ciTrust.audience")}
        account_id = outputs.require("accountId")
        provider = re.compile(rf"arn:aws[a-z-]*:iam::{re.escape(account_id)}:oidc-provider/{re.escape(issuer)}")
        provider_name = f"the OIDC provider of {issuer} in account {account_id}"
        role = account.read(("iam.role", role_name), lambda: account.client("iam").get_role(RoleName=role_name)["Role"])
        policy = parse(role["AssumeRolePolicyDocument"])
        # A Deny only narrows who may assume the role; every other statement must be the pinned Allow.
        allows = [s for s in statements(policy) if not isinstance(s, dict) or s.get("Effect") != "Deny"]
        problems = [p for s in allows for p in _problems(s, provider, provider_name, expected)]
        if not allows:
            problems.append("no statement allows the CI identity")
        if _has_wildcard(subject):
            problems.append(f"the subject to pin, {subject!r}, has a wildcard, so it is no pin")
        message = "; ".join(problems) if problems else f"only {subject} from {issuer} may assume the role"
        return Verdict(not problems, message, {"AssumeRolePolicyDocument": policy})

    return [Control(RULE, outputs.label("ciRoleName"), evaluate)]


def _problems(statement: Any, provider: re.Pattern, provider_name: str, expected: dict[str, str]) -> list[str]:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return [f"statement {clipped(statement)} is neither an Allow nor a Deny statement"]
    sid = statement.get("Sid") or "statement"
    principal = statement.get("Principal")
    federated = as_list(principal.get("Federated")) if isinstance(principal, dict) else []
    problems = []
    if not isinstance(principal, dict) or set(principal) != {"Federated"} or not federated or not all(
        isinstance(p, str) and provider.fullmatch(p) for p in federated
    ):
        problems.append(f"{sid}: principal {clipped(principal)} is not only {provider_name}")
    if set(as_list(statement.get("Action"))) != {WEB_IDENTITY}:
        problems.append(f"{sid}: action {clipped(statement.get('Action'))} is not only {WEB_IDENTITY}")
    conditions = statement.get("Condition", {})
    if not isinstance(conditions, dict) or not all(isinstance(block, dict) for block in conditions.values()):
        return [*problems, f"{sid}: condition {clipped(conditions)} is not a mapping of operators to keys"]
    for key, value in expected.items():
        problems.extend(f"{sid}: {p}" for p in _pin_problems(conditions, key, value))
    return problems


def _pin_problems(conditions: dict, key: str, value: str) -> list[str]:
    """Why `key` is not pinned to exactly `value` by StringEquals alone (empty when it is)."""
    by_operator = _values_by_operator(conditions, key)
    pinned = by_operator.pop(PINNING_OPERATOR, [])
    problems = []
    if not pinned:
        problems.append(f"{key} is not pinned with {PINNING_OPERATOR}, expected {value!r}")
    elif pinned != [value]:
        problems.append(f"{key} is pinned to {clipped(pinned)}, expected exactly [{value!r}]")
    for operator, values in by_operator.items():
        problems.append(f"{key} is also matched with {operator} {clipped(values)}: only {PINNING_OPERATOR} pins a claim")
    wildcards = [v for values in (pinned, *by_operator.values()) for v in values if _has_wildcard(v)]
    if wildcards:
        problems.append(f"{key} has a wildcard {clipped(wildcards)}, which never passes")
    return problems


def _values_by_operator(conditions: dict, key: str) -> dict[str, list]:
    """Values each operator gives `key`; IAM compares condition keys case-insensitively, so do we."""
    found: dict[str, list] = {}
    for operator, block in conditions.items():
        for name, values in block.items():
            if str(name).lower() == key.lower():
                found.setdefault(str(operator), []).extend(as_list(values))
    return found


def _has_wildcard(value: Any) -> bool:
    return isinstance(value, str) and any(w in value for w in WILDCARDS)
