"""A private bucket of the stack (backups, evidence): KMS encryption with its key, versioning, every
public access block, TLS only."""
from __future__ import annotations

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict
from ..kms_keys import same_key
from ..outputs import StackOutputs
from ..policy_documents import as_list, has_wildcard_principal, parse, statements

PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def controls_for(account: Account, outputs: StackOutputs, bucket_output: str, key_output: str) -> list[Control]:
    """The four controls on the bucket the output `bucket_output` names, encrypted with `key_output`'s key."""
    def s3():
        return account.client("s3")

    def bucket() -> str:
        return outputs.require(bucket_output)

    def encryption() -> Verdict:
        expected = outputs.require(key_output)
        config = account.read_setting(
            ("s3.encryption", bucket()),
            lambda: s3().get_bucket_encryption(Bucket=bucket())["ServerSideEncryptionConfiguration"],
            not_configured="ServerSideEncryptionConfigurationNotFoundError",
        )
        defaults = [r.get("ApplyServerSideEncryptionByDefault", {}) for r in (config or {}).get("Rules", [])]
        passed = any(
            d.get("SSEAlgorithm") in KMS_ALGORITHMS and same_key(d.get("KMSMasterKeyID"), expected) for d in defaults
        )
        message = f"default encryption {defaults or 'not configured'}, expected aws:kms with {expected}"
        return Verdict(passed, message, {"ServerSideEncryptionConfiguration": config})

    def versioning() -> Verdict:
        answer = account.read(("s3.versioning", bucket()), lambda: s3().get_bucket_versioning(Bucket=bucket()))
        status = answer.get("Status")
        return Verdict(status == "Enabled", f"versioning {status or 'never enabled'}", {"Status": status})

    def public_access_block() -> Verdict:
        config = account.read_setting(
            ("s3.public-access-block", bucket()),
            lambda: s3().get_public_access_block(Bucket=bucket())["PublicAccessBlockConfiguration"],
            not_configured="NoSuchPublicAccessBlockConfiguration",
        )
        off = [flag for flag in PUBLIC_ACCESS_FLAGS if (config or {}).get(flag) is not True]
        message = f"not blocked: {', '.join(off)}" if off else "all four public access blocks on"
        return Verdict(not off, message, {"PublicAccessBlockConfiguration": config})

    def tls_only() -> Verdict:
        text = account.read_setting(
            ("s3.policy", bucket()),
            lambda: s3().get_bucket_policy(Bucket=bucket())["Policy"],
            not_configured="NoSuchBucketPolicy",
        )
        if text is None:
            return Verdict(False, "no bucket policy, so plain HTTP is not denied", {"Policy": None})
        policy = parse(text)
        if not isinstance(policy, dict) or not statements(policy):
            raise EvidenceMissing("GetBucketPolicy returned a policy without statements, which AWS does not store",
                                  {"Policy": policy})
        passed = any(_denies_plain_http(s, bucket()) for s in statements(policy))
        message = "plain HTTP denied for bucket and objects" if passed else "no statement denies requests without TLS"
        return Verdict(passed, message, {"Policy": policy})

    resource = outputs.label(bucket_output)
    return [
        Control("s3-encryption-kms", resource, encryption),
        Control("s3-versioning", resource, versioning),
        Control("s3-public-access-block", resource, public_access_block),
        Control("s3-tls-only", resource, tls_only),
    ]


def _denies_plain_http(statement: dict, bucket: str) -> bool:
    secure = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
    actions = set(as_list(statement.get("Action")))
    resources = set(as_list(statement.get("Resource")))
    return (
        statement.get("Effect") == "Deny"
        and has_wildcard_principal(statement)
        and bool(actions & {"s3:*", "*"})
        and str(as_list(secure)[0] if as_list(secure) else "").lower() == "false"
        and {f"s3:::{bucket}", f"s3:::{bucket}/*"} <= {_without_partition(r) for r in resources}
    )


def _without_partition(arn: str) -> str:
    """`arn:aws:s3:::b` -> `s3:::b`, so the check holds in every partition (aws, aws-cn, aws-us-gov)."""
    return arn.split(":", 2)[-1]
