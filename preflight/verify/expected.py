"""What must exist in the account, derived from the stack's settings, never from the outputs file.

The program runs offline under Pulumi's mocks with the stack's settings (preflight.engine), so
every name comes from the same code `pulumi up` runs: a repository per `ecrImages` entry, the CI
role, the backup bucket, the cluster, its log group and node group, the public endpoint CIDRs and
the CI trust subject (`ciRepository`/`ciBranch`, or the Azure DevOps service connection). This
costs one offline run (seconds) and cannot drift from the program, unlike a copy of its naming.

Values AWS assigns when it creates a resource (KMS key ARNs) cannot be known offline; for those
the stack fixes which must exist (one key per purpose) and where (its account and region).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preflight.model import Plan

from .outputs import MissingOutput, shape_problem

# Outputs the settings fix: the program exports them from its settings or from names it gives.
SETTLED = (
    "region",
    "accountId",
    "clusterName",
    "clusterLogGroupName",
    "clusterLogRetentionDays",
    "endpointPublicAccess",
    "publicAccessCidrs",
    "authenticationMode",
    "nodeGroupName",
    "ecrRepositoryNames",
    "backupBucketName",
    "evidenceBucketName",
    "evidenceRetentionDays",
    "ciRoleName",
    "ciTrust",
    "alarmTopicName",
    "auditAlarmNames",
    "reviewQueryNames",
    "guardDutyManagedCentrally",
    "guardDutyFindingsRuleName",
)


# Outputs naming again the key of a bucket, one of kmsKeyArns (AWS assigns the ARNs, so the settings cannot).
BUCKET_KEYS = ("backupKmsKeyArn", "evidenceKmsKeyArn")


@dataclass(frozen=True)
class ExpectedStack:
    stack: str
    settled: Mapping[str, Any]
    # Purposes of the customer-managed keys the stack creates (kmsKeyArns), and which one each
    # bucket's key output (BUCKET_KEYS) names again.
    key_purposes: tuple[str, ...]
    bucket_key_purposes: Mapping[str, str]

    @classmethod
    def from_plan(cls, plan: Plan) -> ExpectedStack:
        """From an offline run of the program; raises MissingOutput when the program does not export
        an output verify needs."""
        outputs = plan.outputs
        for key in (*SETTLED, "kmsKeyArns", *BUCKET_KEYS):
            problem = shape_problem(key, outputs.get(key))
            if problem:
                raise MissingOutput(f"the program run offline for stack {plan.stack} does not export it as verify needs: {problem}")
        keys = outputs["kmsKeyArns"]
        purposes = {}
        for output in BUCKET_KEYS:
            # Under the mocks every key gets its own ARN, so a bucket's key is the purpose with the same one.
            same = [purpose for purpose, arn in keys.items() if arn == outputs[output]]
            if len(same) != 1:
                raise MissingOutput(f"{output} is not one of the stack's kmsKeyArns in the offline run of {plan.stack}")
            purposes[output] = same[0]
        return cls(plan.stack, {key: outputs[key] for key in SETTLED}, tuple(keys), purposes)
