"""CloudWatch log groups: encrypted with KMS and kept as long as the environment requires."""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import fsbp, nist_800_53
from policies.rule import Rule, config_value
from policies.values import is_set, number, shown

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _kms(args, config):
    # Presence: an unknown key id comes from a key the stack creates.
    if not is_set(args.props, "kmsKeyId"):
        yield "log group is not encrypted with a customer-managed KMS key (kmsKeyId)"


RETENTION_CONFIG = {
    "minimumDays": {"type": "integer", "default": 90,
                    "description": "Shortest retention allowed in this environment, in days."},
}


def _retention(args, config):
    minimum = config_value(config, RETENTION_CONFIG, "minimumDays")
    days = number(args.props, "retentionInDays")
    # Absent or 0 means "never expire": kept longer than any minimum, so the rule (a floor, as
    # Security Hub CloudWatch.16 judges it) passes. Cost of unbounded logs is not its concern.
    if days not in (None, 0) and days < minimum:
        yield f"retention {shown(days)} days is below the required {shown(minimum)}"


RULES = (
    Rule(
        name="cloudwatch-log-group-kms",
        description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("SC-28"),),
        tags=("logging", "encryption", "kms"),
        remediation="Set kmsKeyId to the logs KMS key, whose key policy allows the logs service principal.",
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
        check=_kms,
        resource_types=(LOG_GROUP,),
    ),
    Rule(
        name="cloudwatch-log-group-retention",
        description="CloudWatch log groups keep logs for at least the environment's minimum retention "
                    "(365 days in prod); 'never expire' (retentionInDays unset or 0) meets any minimum.",
        severity=Severity.MEDIUM,
        controls=(fsbp("CloudWatch.16"),),
        tags=("logging", "retention"),
        remediation="Set retentionInDays to at least the configured minimum (or leave it unset to never expire).",
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html",
        check=_retention,
        resource_types=(LOG_GROUP,),
        config=RETENTION_CONFIG,
    ),
)
