"""The CI role's trust policy: only the pinned OIDC identity may assume it.

Every Allow statement must be web-identity federation from the configured issuer, with `sub`
equal to the configured repository/branch (or pipeline) subject and `aud` equal to the configured
audience. One loose statement is enough to let another repository deploy, so all must hold.
"""
from __future__ import annotations

from ..account import Account
from ..control import Control, Verdict
from ..outputs import StackOutputs
from ..policy_documents import as_list, parse, statements

RULE = "iam-ci-oidc-trust-pinned"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def evaluate() -> Verdict:
        role_name = outputs.require("ciRoleName")
        issuer = outputs.require("ciTrust.issuer").removeprefix("https://").rstrip("/")
        expected = {
            f"{issuer}:sub": outputs.require("ciTrust.subject"),
            f"{issuer}:aud": outputs.require("ciTrust.audience"),
        }
        provider = f":iam::{outputs.require('accountId')}:oidc-provider/{issuer}"
        role = account.read(("iam.role", role_name), lambda: account.client("iam").get_role(RoleName=role_name)["Role"])
        policy = parse(role["AssumeRolePolicyDocument"])
        allows = [s for s in statements(policy) if s.get("Effect") == "Allow"]
        problems = [p for s in allows for p in _problems(s, provider, expected)]
        if not allows:
            problems.append("no statement allows the CI identity")
        subject = expected[f"{issuer}:sub"]
        message = "; ".join(problems) if problems else f"only {subject} from {issuer} may assume the role"
        return Verdict(not problems, message, {"AssumeRolePolicyDocument": policy})

    return [Control(RULE, outputs.label("ciRoleName"), evaluate)]


def _problems(statement: dict, provider_suffix: str, expected: dict[str, str]) -> list[str]:
    sid = statement.get("Sid") or "statement"
    principal = statement.get("Principal")
    federated = as_list(principal.get("Federated")) if isinstance(principal, dict) else []
    problems = []
    if not isinstance(principal, dict) or set(principal) != {"Federated"} or not federated or not all(
        str(p).endswith(provider_suffix) for p in federated
    ):
        problems.append(f"{sid}: principal {principal!r} is not only the OIDC provider *{provider_suffix}")
    if set(as_list(statement.get("Action"))) != {WEB_IDENTITY}:
        problems.append(f"{sid}: action {statement.get('Action')!r} is not only {WEB_IDENTITY}")
    for key, value in expected.items():
        if _pinned_values(statement, key) != [value]:
            problems.append(f"{sid}: {key} is {_pinned_values(statement, key) or 'not pinned'}, expected {value}")
    return problems


def _pinned_values(statement: dict, key: str) -> list[str]:
    """Values a condition key is pinned to by StringEquals/StringLike (the operators that narrow)."""
    conditions = statement.get("Condition", {})
    return [v for operator in ("StringEquals", "StringLike") for v in as_list(conditions.get(operator, {}).get(key))]
