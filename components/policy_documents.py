"""IAM and key policy documents as plain dicts, serialised once where a resource takes JSON.

Documents are built with Output.all/apply only where an ARN is not known until deploy time, so
that most policies stay plain, readable JSON in a preview and in the policy pack's view.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import pulumi

VERSION = "2012-10-17"


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def to_json(doc: Any) -> pulumi.Output[str]:
    """Serialises a document that may contain Outputs (ARNs) into one JSON string Output."""
    return pulumi.Output.from_input(doc).apply(lambda resolved: json.dumps(resolved, sort_keys=True))


def allow(actions: Sequence[str], resources: Any, sid: str, conditions: dict | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources}
    if conditions:
        statement["Condition"] = conditions
    return statement


def account_root_admin(account_id: str, partition: str = "aws") -> dict[str, Any]:
    """The key-policy statement that keeps the account able to manage the key (avoids lockout).

    The principal is the account itself, never "*": access is then governed by IAM policies.
    """
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def web_identity_trust(provider_arn: Any, string_equals: dict[str, Any], string_like: dict[str, Any] | None = None) -> dict[str, Any]:
    """Trust for OIDC federation (IRSA, CI): only tokens whose claims match the conditions."""
    conditions: dict[str, Any] = {"StringEquals": string_equals}
    if string_like:
        conditions["StringLike"] = string_like
    return document({
        "Sid": "FederatedWebIdentity",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": conditions,
    })


def service_trust(service: str, account_id: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "ServiceAssumesRole",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id:
        # Confused-deputy guard: only this account's use of the service may assume the role.
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account_id}}
    return document(statement)
