"""verify never passes what it could not read: missing resources, permissions, outputs, endpoint."""
from __future__ import annotations

import json

import boto3
import moto.settings
import pytest

from moto_server import FAKE_CREDENTIALS
from preflight.verify import VERIFY_RULES, StackOutputs, Status, verify, wrong_account
from preflight.verify.account import Account, WriteRefused
from preflight.verify.controls.backup_bucket import controls as bucket_controls
from not_aws import closed_port
from verify_account import ACCOUNT_ID, KEY_ROLES, REGION, build_account, clients, stack_outputs

S3_RULES = {"s3-encryption-kms", "s3-versioning", "s3-public-access-block", "s3-tls-only", "s3-evidence-object-lock"}
MISSING_KEYS = {role: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/00000000-0000-0000-0000-00000000000{n}"
                for n, role in enumerate(KEY_ROLES)}


def run_verify(endpoint_url, outputs, **credentials):
    session = boto3.session.Session(**(credentials or FAKE_CREDENTIALS))
    return verify(StackOutputs(outputs), session=session, endpoint_url=endpoint_url)


def test_missing_resources_are_errors_per_control(aws):
    results = run_verify(aws.endpoint_url, stack_outputs(MISSING_KEYS))

    assert {r.rule for r in results} == set(VERIFY_RULES)
    assert [(r.rule, r.status, r.message) for r in results if r.status is not Status.ERROR] == []


def test_missing_stack_outputs_are_errors_per_control(aws):
    results = run_verify(aws.endpoint_url, {"region": REGION})

    assert {r.rule for r in results} == set(VERIFY_RULES)
    assert {r.status for r in results} == {Status.ERROR}
    assert all("not given" in r.message for r in results)


def test_missing_permissions_are_errors_per_control(aws, monkeypatch):
    outputs = build_account(aws.endpoint_url)
    iam = clients(aws.endpoint_url)("iam")
    iam.create_user(UserName="auditor")
    # s3:ListBucket because moto authorises GetBucketEncryption and GetPublicAccessBlock as ListBucket.
    iam.put_user_policy(UserName="auditor", PolicyName="s3-read-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:ListBucket"], "Resource": "*"}],
    }))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    # moto checks IAM permissions only when asked to; the server runs in this process.
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)

    results = run_verify(aws.endpoint_url, outputs,
                         aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])

    status = {r.rule: r.status for r in results}
    assert {rule for rule, s in status.items() if s is Status.PASS} == S3_RULES
    assert {rule for rule, s in status.items() if s is not Status.PASS} == set(VERIFY_RULES) - S3_RULES
    assert {s for rule, s in status.items() if rule not in S3_RULES} == {Status.ERROR}


def test_unreachable_endpoint_is_an_error_per_control():
    results = run_verify(closed_port(), stack_outputs(MISSING_KEYS))

    assert {r.rule for r in results} == set(VERIFY_RULES)
    assert {r.status for r in results} == {Status.ERROR}


def test_verify_refuses_to_write(aws):
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, aws.endpoint_url)

    with pytest.raises(WriteRefused):
        account.client("s3").create_bucket(Bucket="must-not-exist")
    assert "must-not-exist" not in [b["Name"] for b in clients(aws.endpoint_url)("s3").list_buckets()["Buckets"]]


def test_one_failed_read_is_reported_by_every_control_that_needs_it(aws):
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, aws.endpoint_url)

    results = [c.run() for c in bucket_controls(account, StackOutputs({"backupBucketName": "no-such-bucket", "backupKmsKeyArn": "k"}))]

    assert {(r.status, r.evidence["error"]) for r in results} == {(Status.ERROR, "NoSuchBucket")}


def test_credentials_of_another_account_are_an_error(aws):
    # moto answers for the account whose role the credentials assumed.
    assumed = clients(aws.endpoint_url)("sts").assume_role(
        RoleArn="arn:aws:iam::210987654321:role/look-alike", RoleSessionName="verify")["Credentials"]
    look_alike = boto3.session.Session(aws_access_key_id=assumed["AccessKeyId"], aws_secret_access_key=assumed["SecretAccessKey"],
                                       aws_session_token=assumed["SessionToken"])
    outputs = StackOutputs({"region": REGION, "accountId": ACCOUNT_ID})

    problem = wrong_account(outputs, session=look_alike, endpoint_url=aws.endpoint_url)

    assert problem == f"the credentials open account 210987654321, not the stack's account {ACCOUNT_ID}"
    assert wrong_account(outputs, session=boto3.session.Session(**FAKE_CREDENTIALS), endpoint_url=aws.endpoint_url) is None
