"""GuardDuty for the account: EKS audit log monitoring and EKS runtime monitoring (GuardDuty manages
its security agent as an EKS addon), and its findings routed to the stack's alarm topic.

Where the organisation runs GuardDuty centrally (guardDutyManagedCentrally), its delegated
administrator owns the detector and its features; the stack then creates no detector, but still
routes the account's findings, which GuardDuty also publishes in the member account.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# Feature -> its additional configurations, all enabled.
FEATURES = {
    "EKS_AUDIT_LOGS": (),
    "EKS_RUNTIME_MONITORING": ("EKS_ADDON_MANAGEMENT",),
}
# Findings of medium severity (4.0) and above reach the topic; low ones wait for the weekly review.
MIN_ROUTED_SEVERITY = 4


def findings_rule_name(prefix: str) -> str:
    return f"{prefix}-guardduty-findings"


def findings_pattern() -> str:
    return json.dumps({
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", MIN_ROUTED_SEVERITY]}]},
    }, sort_keys=True)


@dataclass(frozen=True)
class GuardDutyArgs:
    prefix: str
    managed_centrally: bool
    topic_arn: pulumi.Input[str]


class GuardDuty(pulumi.ComponentResource):
    def __init__(self, name: str, args: GuardDutyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:guardduty:GuardDuty", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.detector: aws.guardduty.Detector | None = None
        if not args.managed_centrally:
            self.detector = aws.guardduty.Detector(
                f"{name}-detector", enable=True, finding_publishing_frequency="FIFTEEN_MINUTES", opts=child,
            )
            for feature, extras in FEATURES.items():
                aws.guardduty.DetectorFeature(
                    f"{name}-{feature.lower().replace('_', '-')}",
                    detector_id=self.detector.id, name=feature, status="ENABLED",
                    additional_configurations=[{"name": extra, "status": "ENABLED"} for extra in extras],
                    opts=child,
                )

        rule = aws.cloudwatch.EventRule(
            f"{name}-findings", name=findings_rule_name(args.prefix),
            description="GuardDuty findings of medium severity and above, to the security alarm topic",
            event_pattern=findings_pattern(), opts=child,
        )
        aws.cloudwatch.EventTarget(f"{name}-findings-to-topic", rule=rule.name, arn=args.topic_arn, opts=child)
        self.register_outputs({"detectorId": self.detector.id if self.detector else None, "findingsRule": rule.name})
