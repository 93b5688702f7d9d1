"""The evidence bucket: a private bucket encrypted with the stack's evidence key, whose objects
Object Lock keeps unalterable (compliance mode, at least the stack's evidenceRetentionDays)."""
from __future__ import annotations

from policies.rules.evidence import retained_days

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict
from ..outputs import StackOutputs
from .private_bucket import controls_for


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def object_lock() -> Verdict:
        bucket, minimum = outputs.require("evidenceBucketName"), outputs.require("evidenceRetentionDays", int)
        config = account.read_setting(
            ("s3.object-lock", bucket),
            lambda: account.client("s3").get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"],
            not_configured="ObjectLockConfigurationNotFoundError",
        )
        evidence = {"ObjectLockConfiguration": config}
        if config is None:
            return Verdict(False, "Object Lock is not configured: evidence can be deleted or overwritten", evidence)
        if not isinstance(config, dict):
            raise EvidenceMissing("GetObjectLockConfiguration returned no configuration object", evidence)
        retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
        mode, days, years = retention.get("Mode"), retention.get("Days"), retention.get("Years")
        kept = retained_days(days if isinstance(days, int) else None, years if isinstance(years, int) else None)
        problems = []
        if config.get("ObjectLockEnabled") != "Enabled":
            problems.append("Object Lock is not enabled")
        if mode != "COMPLIANCE":
            problems.append(f"default retention mode {mode or 'not set'}, not COMPLIANCE")
        if kept is None or kept < minimum:
            problems.append(f"default retention {'not set' if kept is None else f'{kept} days'}, "
                            f"under the stack's {minimum} days")
        message = "; ".join(problems) or f"Object Lock in compliance mode, {kept} days by default"
        return Verdict(not problems, message, evidence)

    return [*controls_for(account, outputs, "evidenceBucketName", "evidenceKmsKeyArn"),
            Control("s3-evidence-object-lock", outputs.label("evidenceBucketName"), object_lock)]
