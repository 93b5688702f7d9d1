"""The policy pack's rule names that `verify` reports, so the two can be matched one to one."""

VERIFY_RULES = (
    "eks-control-plane-logs-all-types",
    "cloudwatch-log-group-retention",
    "cloudwatch-log-group-kms",
    "eks-secrets-encryption-cmk",
    "eks-public-endpoint-restricted",
    "eks-private-endpoint-enabled",
    "eks-api-authentication-mode",
    "nodegroup-imdsv2-required",
    "nodegroup-volumes-encrypted",
    "ecr-immutable-tags",
    "ecr-scan-on-push",
    "ecr-kms-encryption",
    "ecr-lifecycle-policy",
    "ecr-repository-policy-no-wildcard-principal",
    "kms-key-rotation",
    "s3-encryption-kms",
    "s3-versioning",
    "s3-public-access-block",
    "s3-tls-only",
    "iam-ci-oidc-trust-pinned",
)
