"""S3: public access blocked, KMS default encryption, versioning, TLS-only bucket policy.

Since AWS provider v4 these settings live in companion resources; each rule relates them to the
bucket they name (by dependency on the bucket, or by its literal name). Legacy inline settings on
the bucket itself count too.
"""
from __future__ import annotations

import re
from fnmatch import fnmatchcase

from policies.severity import Severity

from policies.frameworks import fsbp
from policies.rule import Rule, each_resource
from policies.rules.iam_documents import conditions, grants_action, principals, statements
from policies.stack import companions, of_type
from policies.values import as_list, get, is_set, is_true, json_document, mapping, truthy

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
TAGS = ("s3", "data")
_URL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"


def _public_access_block(args, config):
    attached = companions(args.resources, "bucket", *PUBLIC_ACCESS_BLOCK)

    def check(bucket):
        blocks = attached(bucket, get(bucket.props, "bucket"))
        if not blocks:
            yield "bucket has no public access block"
        for block in blocks:
            off = [flag for flag in BLOCK_FLAGS if not is_true(block.props, flag)]
            if off:
                yield f"public access block leaves {', '.join(off)} off"
    return each_resource(of_type(args.resources, *BUCKETS), check)


def _kms_rules(rules, at: str):
    """Whether some rule encrypts by default with SSE-KMS and a named key (one rule or a list)."""
    for i, rule in enumerate(as_list(rules)):
        default = mapping(rule, "applyServerSideEncryptionByDefault", at=f"{at}[{i}]")
        if get(default, "sseAlgorithm") in ("aws:kms", "aws:kms:dsse") and is_set(default, "kmsMasterKeyId"):
            return True
    return False


def _encryption(args, config):
    attached = companions(args.resources, "bucket", *ENCRYPTION)

    def check(bucket):
        inline = get(bucket.props, "serverSideEncryptionConfiguration", "rule")
        configs = attached(bucket, get(bucket.props, "bucket"))
        if not _kms_rules(inline, "serverSideEncryptionConfiguration.rule") and \
                not any(_kms_rules(get(c.props, "rules"), f"{c.name} rules") for c in configs):
            yield "bucket default encryption is not SSE-KMS with a customer-managed key"
    return each_resource(of_type(args.resources, *BUCKETS), check)


def _versioning(args, config):
    attached = companions(args.resources, "bucket", *VERSIONING)

    def check(bucket):
        inline = truthy(get(bucket.props, "versioning", "enabled"))
        configs = attached(bucket, get(bucket.props, "bucket"))
        if not inline and not any(get(c.props, "versioningConfiguration", "status") == "Enabled" for c in configs):
            yield "bucket versioning is not enabled"
    return each_resource(of_type(args.resources, *BUCKETS), check)


def _on_insecure_transport(statement) -> bool:
    """The statement's condition is exactly "the request was not made over TLS"."""
    for operator, entries in conditions(statement).items():
        if operator not in ("Bool", "BoolIfExists"):  # aws:SecureTransport is in every request
            continue
        for key, values in entries.items():
            if key.lower() == "aws:securetransport" and [str(v).lower() for v in values] == ["false"]:
                return True
    return False


def _covers_bucket(statement, bucket_name) -> bool:
    """The statement's Resource covers the bucket and every object in it.

    A bucket without a literal name (auto-named) cannot be matched by name; the statement is then
    taken to be about the bucket the policy is attached to.
    """
    if bucket_name is None:
        return True
    # Any partition (aws, aws-cn, aws-us-gov) names the same bucket.
    patterns = [re.sub(r"^arn:[^:]*:s3:::", "arn:aws:s3:::", p)
                for p in as_list(statement.get("Resource")) if isinstance(p, str)]
    wanted = (f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*")
    return all(any(p == "*" or fnmatchcase(arn, p) for p in patterns) for arn in wanted)


def _denies_insecure_transport(statement, bucket_name) -> bool:
    """Deny, to everyone, every S3 action, on the bucket and its objects, without TLS."""
    return (statement.get("Effect") == "Deny" and "*" in principals(statement)
            and statement.get("NotPrincipal") is None and grants_action(statement, "s3:*")
            and _on_insecure_transport(statement) and _covers_bucket(statement, bucket_name))


def _tls_only(args, config):
    attached = companions(args.resources, "bucket", *BUCKET_POLICY)

    def check(bucket):
        name = get(bucket.props, "bucket")
        policies = attached(bucket, name)
        documents = [json_document(p.props, "policy") for p in policies]
        inline = json_document(bucket.props, "policy")
        if inline:
            documents.append(inline)
        if not any(_denies_insecure_transport(s, name) for d in documents for s in statements(d)):
            yield ("no bucket policy statement denies, to principal '*', every S3 action ('s3:*') on the "
                   "bucket and its objects without TLS (Bool aws:SecureTransport false)")
    return each_resource(of_type(args.resources, *BUCKETS), check)


RULES = (
    Rule(
        name="s3-public-access-block",
        description="S3 buckets block all public access (all four public access block settings on).",
        severity=Severity.CRITICAL,
        controls=(fsbp("S3.8"),),
        tags=TAGS + ("public-access",),
        remediation="Add aws.s3.BucketPublicAccessBlock for the bucket with all four flags true.",
        url=_URL,
        check=_public_access_block,
    ),
    Rule(
        name="s3-encryption-kms",
        description="S3 buckets encrypt by default with SSE-KMS and a customer-managed key.",
        severity=Severity.HIGH,
        controls=(fsbp("S3.17"),),
        tags=TAGS + ("encryption", "kms"),
        remediation="Add a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and kmsMasterKeyId.",
        url=_URL,
        check=_encryption,
    ),
    Rule(
        name="s3-versioning",
        description="S3 buckets keep object versions.",
        severity=Severity.MEDIUM,
        controls=(fsbp("S3.14"),),
        tags=TAGS + ("recovery",),
        remediation="Add a BucketVersioning with versioningConfiguration.status Enabled.",
        url=_URL,
        check=_versioning,
    ),
    Rule(
        name="s3-tls-only",
        description="S3 bucket policies deny every request made without TLS: to principal '*', for 's3:*', "
                    "on the bucket and its objects.",
        severity=Severity.HIGH,
        controls=(fsbp("S3.5"),),
        tags=TAGS + ("encryption-in-transit",),
        remediation="Add a bucket policy statement: Deny, Principal '*', Action 's3:*', Resource the bucket "
                    "ARN and '<bucket ARN>/*', Condition Bool aws:SecureTransport 'false'.",
        url=_URL,
        check=_tls_only,
    ),
)
