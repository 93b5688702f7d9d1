"""The CI role's trust policy: every way of loosening it fails the control."""
from __future__ import annotations

import json

import boto3
import pytest

from moto_server import FAKE_CREDENTIALS
from preflight.verify import StackOutputs, Status
from preflight.verify.account import Account
from preflight.verify.controls.ci_role import controls
from verify_account import ACCOUNT_ID, AUDIENCE, ISSUER, REGION, SUBJECT, build_account, clients

PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER}"


def web_identity(conditions: dict, principal: dict | None = None) -> dict:
    return {
        "Effect": "Allow",
        "Principal": principal or {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": conditions,
    }


PINNED = web_identity({"StringEquals": {f"{ISSUER}:sub": SUBJECT, f"{ISSUER}:aud": AUDIENCE}})
LOOSE = {
    "no sub condition": [web_identity({"StringEquals": {f"{ISSUER}:aud": AUDIENCE}})],
    "no aud condition": [web_identity({"StringEquals": {f"{ISSUER}:sub": SUBJECT}})],
    "any branch": [web_identity({"StringLike": {f"{ISSUER}:sub": "repo:example-org/platform:*", f"{ISSUER}:aud": AUDIENCE}})],
    "a second subject": [web_identity({"StringEquals": {f"{ISSUER}:sub": [SUBJECT, "repo:other/repo:ref:refs/heads/main"],
                                                         f"{ISSUER}:aud": AUDIENCE}})],
    "another issuer": [web_identity({"StringEquals": {f"{ISSUER}:sub": SUBJECT, f"{ISSUER}:aud": AUDIENCE}},
                                    {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/gitlab.com"})],
    "an extra account principal": [PINNED, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                                            "Action": "sts:AssumeRole"}],
}


def check_trust(endpoint_url: str, outputs: dict, statements: list[dict]):
    clients(endpoint_url)("iam").update_assume_role_policy(
        RoleName=outputs["ciRoleName"], PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, endpoint_url)
    [result] = [c.run() for c in controls(account, StackOutputs(outputs))]
    return result


def test_pinned_with_string_equals_passes(aws):
    result = check_trust(aws.endpoint_url, build_account(aws.endpoint_url), [PINNED])

    assert result.status is Status.PASS, result.message
    assert result.evidence["AssumeRolePolicyDocument"]["Statement"] == [PINNED]


@pytest.mark.parametrize("case", sorted(LOOSE))
def test_loosened_trust_fails(aws, case):
    result = check_trust(aws.endpoint_url, build_account(aws.endpoint_url), LOOSE[case])

    assert result.status is Status.FAIL
