"""The evidence bucket keeps every bundle unalterable: S3 Object Lock in compliance mode, long enough.

Evidence buckets are the buckets of the platform's EvidenceBucket component. Object Lock can only
be switched on when a bucket is created; its default retention then comes from a companion
BucketObjectLockConfiguration. Governance mode would let a privileged identity delete or shorten
the lock, so only compliance mode counts.
"""
from __future__ import annotations

from policies.frameworks import fsbp, nist_800_53
from policies.rule import Rule, config_value, each_resource
from policies.rules.s3 import BUCKETS
from policies.severity import Severity
from policies.stack import ancestor_of_type, companions, of_type
from policies.values import flag, get, mapping, number, text

EVIDENCE_BUCKET = "devsecops:evidence:EvidenceBucket"
OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
LOCK_CONFIG = {
    "minRetentionDays": {"type": "integer", "default": 365,
                         "description": "Shortest default retention of evidence under Object Lock, in days."},
}
DAYS_PER_YEAR = 365


def _object_lock(args, config):
    minimum = config_value(config, LOCK_CONFIG, "minRetentionDays")
    attached = companions(args.resources, "bucket", *OBJECT_LOCK)

    def check(bucket):
        if flag(bucket.props, "objectLockEnabled") is not True:
            yield "the bucket is created without Object Lock, which cannot be switched on later"
        locks = attached(bucket, get(bucket.props, "bucket"))
        if not locks:
            yield "no Object Lock configuration: bundles get no default retention"
        for lock in locks:
            yield from _retention_problems(lock, minimum)

    evidence = [b for b in of_type(args.resources, *BUCKETS) if ancestor_of_type(b, EVIDENCE_BUCKET)]
    return each_resource(evidence, check)


def retained_days(days: float | None, years: float | None) -> float | None:
    """How many days a default retention keeps objects: its days, else its years; None when neither
    is set. One judgement for the pack and for `verify`, which reads the bucket back."""
    return days if days is not None else years * DAYS_PER_YEAR if years is not None else None


def _retention_problems(lock, minimum: float):
    if text(lock.props, "objectLockEnabled", default="Enabled") != "Enabled":
        yield f"Object Lock configuration {lock.name} does not enable Object Lock"
    at = "rule.defaultRetention"
    retention = mapping(lock.props, "rule", "defaultRetention")
    mode = text(retention, "mode", at=at)
    if mode != "COMPLIANCE":
        yield (f"default retention mode is {mode or 'not set'}, not COMPLIANCE: in governance mode a "
               "privileged identity can delete evidence or shorten its lock")
    kept = retained_days(number(retention, "days", at=at), number(retention, "years", at=at))
    if kept is None or kept < minimum:
        yield f"default retention is {'not set' if kept is None else f'{kept:g} days'}, under {minimum:g} days"


RULES = (
    Rule(
        name="s3-evidence-object-lock",
        description="Evidence buckets keep every bundle unalterable: Object Lock, compliance-mode default "
                    "retention of at least the configured days.",
        severity=Severity.HIGH,
        controls=(fsbp("S3.15"), nist_800_53("AU-9"), nist_800_53("AU-11")),
        tags=("s3", "evidence", "audit"),
        remediation="Create the evidence bucket with objectLockEnabled true and add a "
                    "BucketObjectLockConfiguration with rule.defaultRetention mode COMPLIANCE and days at least "
                    "minRetentionDays (setting evidenceRetentionDays).",
        url="https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
        check=_object_lock,
        config=LOCK_CONFIG,
    ),
)
