"""The evidence bucket: where the deploy pipelines keep each signed evidence bundle, unalterable.

S3 Object Lock in compliance mode with a default retention from config: for that long no one, the
account root included, can delete or overwrite an object version, and the retention cannot be
shortened. On top: SSE-KMS with the stack's "evidence" key, versioning (Object Lock needs it),
every public access block, and a bucket policy refusing plain HTTP and refusing every
principal, the pipeline's role included, the calls that delete evidence or loosen the lock. The
pipeline writes with its own identity policy (s3:PutObject, kms:GenerateDataKey); nothing here
grants more.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import document, to_json
from components.private_bucket import private_bucket_parts

# What would remove evidence or weaken its lock. Denied to "*": an explicit Deny outranks any Allow.
DENIED_TO_EVERYONE = (
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:DeleteBucket",
)


@dataclass(frozen=True)
class EvidenceBucketArgs:
    prefix: str
    account_id: str
    retention_days: int
    kms_key_arn: pulumi.Input[str]
    protect: bool


def bucket_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """TLS only, and nothing that deletes evidence or loosens its lock, for anyone."""
    arns = pulumi.Output.from_input(bucket_arn).apply(lambda arn: [arn, f"{arn}/*"])
    return to_json(document(
        {"Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": arns,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "EvidenceIsNeverDeleted", "Effect": "Deny", "Principal": "*", "Action": list(DENIED_TO_EVERYONE),
         "Resource": arns},
    ))


class EvidenceBucket(pulumi.ComponentResource):
    def __init__(self, name: str, args: EvidenceBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:evidence:EvidenceBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Object Lock can only be turned on when the bucket is created; evidence outlives `pulumi destroy`.
        self.bucket = aws.s3.Bucket(
            name, bucket=f"{args.prefix}-evidence-{args.account_id}", object_lock_enabled=True, force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        bucket_id = self.bucket.id
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child,
        )
        public_access, versioning = private_bucket_parts(name, bucket_id, args.kms_key_arn, child)
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock", bucket=bucket_id, object_lock_enabled="Enabled",
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode="COMPLIANCE", days=args.retention_days),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        # After the public access block, so S3 never sees a moment where a policy could be public.
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket_id, policy=bucket_policy(self.bucket.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})
