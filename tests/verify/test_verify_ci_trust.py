"""The CI role's trust policy: pinned to the configured subject by StringEquals, or it fails.

Every way of loosening the trust fails the control, including a wildcard the outputs file repeats:
the control judges the configured subject, never the outputs' claim about it.
"""
from __future__ import annotations

import json

import boto3
import pytest

from moto_server import FAKE_CREDENTIALS
from preflight.verify import StackOutputs, Status
from preflight.verify.account import Account
from preflight.verify.controls.ci_role import controls
from verify_account import ACCOUNT_ID, AUDIENCE, CI_ROLE, ISSUER, REGION, SUBJECT, clients

PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER}"
GITHUB_TRUST = {"provider": "github", "issuer": ISSUER, "subject": SUBJECT, "audience": AUDIENCE}
AZURE_ISSUER = "vstoken.dev.azure.com/8f3a1c2e-5b7d-4e9f-a1c3-d5e7f9a1b3c5"
AZURE_TRUST = {"provider": "azure-devops", "issuer": AZURE_ISSUER, "subject": "sc://example-org/platform/aws-deploy",
               "audience": "api://AzureADTokenExchange"}


def web_identity(conditions: dict, principal: dict | None = None, action: object = "sts:AssumeRoleWithWebIdentity") -> dict:
    return {"Effect": "Allow", "Principal": principal or {"Federated": PROVIDER}, "Action": action, "Condition": conditions}


def pinned(subject: str = SUBJECT, audience: str = AUDIENCE, issuer: str = ISSUER) -> dict:
    return {"StringEquals": {f"{issuer}:sub": subject, f"{issuer}:aud": audience}}


PINNED = web_identity(pinned())
LOOSE = {
    "no sub condition": [web_identity({"StringEquals": {f"{ISSUER}:aud": AUDIENCE}})],
    "no aud condition": [web_identity({"StringEquals": {f"{ISSUER}:sub": SUBJECT}})],
    "no condition at all": [web_identity({})],
    "any branch (StringLike *)": [web_identity({"StringLike": {f"{ISSUER}:sub": "repo:example-org/devsecops-platform:*"},
                                                "StringEquals": {f"{ISSUER}:aud": AUDIENCE}})],
    "one-character wildcard (StringLike ?)": [web_identity({
        "StringLike": {f"{ISSUER}:sub": "repo:example-org/devsecops-platform:ref:refs/heads/mai?"},
        "StringEquals": {f"{ISSUER}:aud": AUDIENCE}})],
    "the exact subject, but with StringLike": [web_identity({"StringLike": {f"{ISSUER}:sub": SUBJECT},
                                                             "StringEquals": {f"{ISSUER}:aud": AUDIENCE}})],
    "pinned, plus a wildcard under StringLike": [web_identity({**pinned(), "StringLike": {f"{ISSUER}:sub": "*"}})],
    "IfExists passes a token without the claim": [web_identity({"StringEqualsIfExists": {f"{ISSUER}:sub": SUBJECT},
                                                                "StringEquals": {f"{ISSUER}:aud": AUDIENCE}})],
    "a wildcard in a differently cased key": [web_identity({**pinned(), "StringLike": {f"{ISSUER.upper()}:SUB": "repo:*"}})],
    "a literal * subject": [web_identity(pinned(subject="*"))],
    "a second subject": [web_identity({"StringEquals": {f"{ISSUER}:sub": [SUBJECT, "repo:other/repo:ref:refs/heads/main"],
                                                         f"{ISSUER}:aud": AUDIENCE}})],
    "another audience": [web_identity(pinned(audience="sts.example.com"))],
    "another issuer": [web_identity(pinned(), {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/gitlab.com"})],
    "the issuer's provider in another account": [web_identity(pinned(), {"Federated": f"arn:aws:iam::999999999999:oidc-provider/{ISSUER}"})],
    "a provider that only ends like ours": [web_identity(pinned(), {"Federated": f"arn:aws:iam::999999999999:oidc-provider/x/:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER}"})],
    "an extra account principal": [PINNED, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                                            "Action": "sts:AssumeRole"}],
    "another action too": [web_identity(pinned(), action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"])],
    "a condition that is no mapping of operators": [web_identity({"StringEquals": "everything"})],
}


def check_trust(endpoint_url: str, statements: list[dict], trust: dict = GITHUB_TRUST):
    """The control's result for a role with these trust statements, against the configured `trust`."""
    clients(endpoint_url)("iam").create_role(
        RoleName=CI_ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, endpoint_url)
    outputs = StackOutputs({"ciRoleName": CI_ROLE, "accountId": ACCOUNT_ID, "ciTrust": trust})
    [result] = [c.run() for c in controls(account, outputs)]
    return result


def test_pinned_with_string_equals_passes(aws):
    result = check_trust(aws.endpoint_url, [PINNED])

    assert result.status is Status.PASS, result.message
    assert result.evidence["AssumeRolePolicyDocument"]["Statement"] == [PINNED]


def test_a_deny_statement_beside_the_pinned_allow_passes(aws):
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}

    assert check_trust(aws.endpoint_url, [PINNED, deny]).status is Status.PASS


@pytest.mark.parametrize("case", sorted(LOOSE))
def test_loosened_trust_fails(aws, case):
    result = check_trust(aws.endpoint_url, LOOSE[case])

    assert result.status is Status.FAIL, result.message


def test_a_wildcard_subject_fails_even_when_the_trust_to_check_repeats_it(aws):
    wildcard = "repo:example-org/*"
    trust = {**GITHUB_TRUST, "subject": wildcard}

    result = check_trust(aws.endpoint_url, [web_identity(pinned(subject=wildcard))], trust)

    assert result.status is Status.FAIL
    assert "wildcard" in result.message


def test_azure_devops_service_connection_pinned_passes(aws):
    statement = web_identity(pinned(AZURE_TRUST["subject"], AZURE_TRUST["audience"], AZURE_ISSUER),
                             {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{AZURE_ISSUER}"})

    result = check_trust(aws.endpoint_url, [statement], AZURE_TRUST)

    assert result.status is Status.PASS, result.message


def test_azure_devops_connection_pattern_fails(aws):
    statement = web_identity({"StringLike": {f"{AZURE_ISSUER}:sub": "sc://example-org/*"},
                              "StringEquals": {f"{AZURE_ISSUER}:aud": AZURE_TRUST["audience"]}},
                             {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{AZURE_ISSUER}"})

    result = check_trust(aws.endpoint_url, [statement], AZURE_TRUST)

    assert result.status is Status.FAIL
