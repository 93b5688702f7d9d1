"""What every bucket of the stack has: all public access blocked, versioning, SSE-KMS with its
stack key. One place, so the backup and evidence buckets cannot drift apart."""
from __future__ import annotations

from typing import NamedTuple

import pulumi
import pulumi_aws as aws


class PrivateBucketParts(NamedTuple):
    public_access: aws.s3.BucketPublicAccessBlock
    versioning: aws.s3.BucketVersioning


def private_bucket_parts(name: str, bucket_id: pulumi.Input[str], kms_key_arn: pulumi.Input[str],
                         opts: pulumi.ResourceOptions) -> PrivateBucketParts:
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access", bucket=bucket_id,
        block_public_acls=True, ignore_public_acls=True, block_public_policy=True, restrict_public_buckets=True, opts=opts,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket_id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket_id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn,
            ),
            bucket_key_enabled=True,
        )],
        opts=opts,
    )
    return PrivateBucketParts(public_access, versioning)
