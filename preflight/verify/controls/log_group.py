"""The cluster's control-plane log group: retention and KMS key."""
from __future__ import annotations

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict
from ..kms_keys import same_key
from ..outputs import StackOutputs


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def log_group() -> dict:
        name = outputs.require("clusterLogGroupName")
        # EKS always writes to this name; a group under any other name would hold no audit logs.
        cluster_path = f"/aws/eks/{outputs.require('clusterName')}/cluster"
        if name != cluster_path:
            raise EvidenceMissing(f"EKS writes control-plane logs to {cluster_path}, not {name}")

        def describe() -> list[dict]:
            pages = account.client("logs").get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
            return [g for page in pages for g in page["logGroups"] if g["logGroupName"] == name]

        found = account.read(("logs.group", name), describe)
        if not found:
            raise EvidenceMissing(f"log group {name} does not exist")
        return found[0]

    def retention() -> Verdict:
        expected = outputs.require("clusterLogRetentionDays", int)
        days = log_group().get("retentionInDays")
        message = f"retention {days or 'never expires'} days, configured {expected}"
        return Verdict(days == expected, message, {"retentionInDays": days})

    def kms() -> Verdict:
        expected = outputs.require("kmsKeyArns.logs")
        key = log_group().get("kmsKeyId")
        message = f"log group key {key or 'not set'}, expected {expected}"
        return Verdict(same_key(key, expected), message, {"kmsKeyId": key})

    resource = outputs.label("clusterLogGroupName")
    return [
        Control("cloudwatch-log-group-retention", resource, retention),
        Control("cloudwatch-log-group-kms", resource, kms),
    ]
