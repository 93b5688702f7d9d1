"""The evidence bucket: Object Lock in compliance mode for the configured retention, KMS, versioning,
public access blocked, TLS only, and no principal, the pipeline's role included, may delete evidence."""
from __future__ import annotations

import json

import pytest

from components.config import ConfigError
from components.evidence_bucket import DENIED_TO_EVERYONE
from preflight.engine import run_program
from preflight.model import Plan
from stack_variants import stack_variant

NAME = "evidence"


def companion(plan: Plan, type_token: str, suffix: str):
    return plan.one(type_token, f"{NAME}-{suffix}")


def test_the_bucket_is_the_stacks_own_with_object_lock_and_survives_destroy(plan: Plan):
    bucket = plan.one("aws:s3/bucket:Bucket", NAME)
    expected = f"devsecops-{plan.stack}-evidence-{plan.outputs['accountId']}"
    assert bucket.inputs["bucket"] == expected == plan.outputs["evidenceBucketName"]
    assert bucket.inputs["objectLockEnabled"] is True and bucket.inputs["forceDestroy"] is False
    assert bucket.protect is (plan.stack == "prod")


def test_object_lock_is_compliance_mode_for_the_configured_retention(plan: Plan):
    lock = companion(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock").inputs
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 365}


def test_encrypted_with_the_evidence_key_versioned_and_private(plan: Plan):
    sse = companion(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    "encryption").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyId": plan.outputs["kmsKeyArns"]["evidence"]}
    assert plan.outputs["evidenceKmsKeyArn"] == plan.outputs["kmsKeyArns"]["evidence"]
    versioning = companion(plan, "aws:s3/bucketVersioning:BucketVersioning", "versioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    block = companion(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))


def test_the_policy_refuses_plain_http_and_every_deletion_to_everyone(plan: Plan):
    policy = json.loads(companion(plan, "aws:s3/bucketPolicy:BucketPolicy", "policy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert {s["Effect"] for s in statements.values()} == {"Deny"}  # the bucket grants nothing
    arn = f"arn:aws:s3:::{plan.outputs['evidenceBucketName']}"
    tls = statements["DenyPlainHttp"]
    assert tls["Principal"] == "*" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    kept = statements["EvidenceIsNeverDeleted"]
    assert kept["Principal"] == "*" and kept["Resource"] == [arn, f"{arn}/*"] and "Condition" not in kept
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
            "s3:PutBucketObjectLockConfiguration"} <= set(kept["Action"]) == set(DENIED_TO_EVERYONE)


def test_retention_comes_from_the_stack_settings(tmp_path):
    plan = run_program(stack_file=stack_variant(tmp_path, "dev", {"evidenceRetentionDays": 30}))
    lock = companion(plan, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock").inputs
    assert lock["rule"]["defaultRetention"]["days"] == 30


@pytest.mark.parametrize("base, days, allowed", [
    ("prod", 364, "365 or more when environment is prod"),
    ("dev", 0, "a whole number from 1 to 36500"),
])
def test_retention_outside_what_the_environment_allows_is_refused(tmp_path, base, days, allowed):
    with pytest.raises(ConfigError) as raised:
        run_program(stack_file=stack_variant(tmp_path, base, {"evidenceRetentionDays": days}))
    assert f"devsecops-platform:evidenceRetentionDays: got {days}; allowed: {allowed}" in str(raised.value)
