"""The database backup bucket: SSE-KMS with the backups key, versioning, all public access
blocked, TLS-only bucket policy, and lifecycle expiry of backups and their old versions."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import to_json
from components.private_bucket import private_bucket_parts


def tls_only_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    arns = pulumi.Output.from_input(bucket_arn).apply(lambda arn: [arn, f"{arn}/*"])
    return to_json({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyPlainHttp",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": arns,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })


@dataclass(frozen=True)
class BackupBucketArgs:
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    retention_days: int
    protect: bool


class BackupBucket(pulumi.ComponentResource):
    def __init__(self, name: str, args: BackupBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:database:BackupBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Backups must survive `pulumi destroy`: no force_destroy, and protect in prod.
        self.bucket = aws.s3.Bucket(
            name, bucket=args.bucket_name, force_destroy=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        bucket_id = self.bucket.id
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=child,
        )
        public_access, _ = private_bucket_parts(name, bucket_id, args.kms_key_arn, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket_id,
            rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-backups",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(noncurrent_days=args.retention_days),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=1),
            )],
            opts=child,
        )
        # After the public access block, so S3 never sees a moment where a policy could be public.
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket_id, policy=tls_only_policy(self.bucket.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})
