"""Detective controls on the EKS audit log: a metric filter and an alarm per detection, an alarm topic
encrypted with the stack's alerts key, and the saved Logs Insights queries of the weekly review.

The patterns and queries are plain data in components/audit_detections.py. Alarms and GuardDuty
findings (components/guardduty.py) publish to the one topic; its policy lets only this account's
alarms and this stack's EventBridge rules publish.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_aws as aws

from components.audit_detections import METRIC_NAMESPACE, PERIOD_SECONDS, REVIEW_QUERIES, detections
from components.policy_documents import document


@dataclass(frozen=True)
class DetectionArgs:
    prefix: str
    account_id: str
    region: str
    cluster_name: str
    # The control-plane log group, which receives the audit log (the cluster creates it first).
    log_group_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    subscribers: tuple[str, ...]
    thresholds: Mapping[str, int]
    # Namespaces of the platform's controllers, whose service accounts read Secrets by design.
    controller_namespaces: tuple[str, ...]


def metric_namespace(cluster_name: str) -> str:
    """One namespace per cluster, so two stacks in one account never add up each other's events."""
    return f"{METRIC_NAMESPACE}/{cluster_name}"


def topic_name(prefix: str) -> str:
    return f"{prefix}-security-alarms"


def alarm_name(prefix: str, detection: str) -> str:
    return f"{prefix}-audit-{detection}"


def query_name(prefix: str, query: str) -> str:
    # The slash files the queries in a folder of the Logs Insights console.
    return f"{prefix}/weekly-review/{query}"


def topic_policy(args: DetectionArgs) -> dict:
    """Publishing only by this stack's alarms and EventBridge rules (named <prefix>-...), in this account.

    The topic's ARN follows from its name, so the policy is plain, known JSON in a preview.
    """
    topic_arn = f"arn:aws:sns:{args.region}:{args.account_id}:{topic_name(args.prefix)}"

    def publisher(sid: str, service: str, source_arn: str) -> dict:
        return {
            "Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}, "ArnLike": {"aws:SourceArn": source_arn}},
        }
    arn = f"{args.region}:{args.account_id}"
    return document(
        publisher("StackAlarmsPublish", "cloudwatch.amazonaws.com", f"arn:aws:cloudwatch:{arn}:alarm:{args.prefix}-*"),
        publisher("StackRulesPublish", "events.amazonaws.com", f"arn:aws:events:{arn}:rule/{args.prefix}-*"),
    )


class Detection(pulumi.ComponentResource):
    def __init__(self, name: str, args: DetectionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:detection:Detection", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.topic = aws.sns.Topic(f"{name}-topic", name=topic_name(args.prefix), kms_master_key_id=args.kms_key_arn, opts=child)
        aws.sns.TopicPolicy(f"{name}-topic-policy", arn=self.topic.arn, policy=json.dumps(topic_policy(args), sort_keys=True), opts=child)
        for index, address in enumerate(args.subscribers):
            aws.sns.TopicSubscription(f"{name}-subscriber-{index}", topic=self.topic.arn, protocol="email",
                                      endpoint=address, opts=child)

        namespace = metric_namespace(args.cluster_name)
        self.metric_filters: dict[str, aws.cloudwatch.LogMetricFilter] = {}
        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for detection in detections(args.controller_namespaces):
            metric_filter = aws.cloudwatch.LogMetricFilter(
                f"{name}-{detection.name}",
                name=f"{args.prefix}-{detection.name}",
                log_group_name=args.log_group_name,
                pattern=detection.pattern,
                # No default value: a period without a match has no datapoint, which the alarm
                # treats as not breaching, and costs nothing.
                metric_transformation={"name": detection.name, "namespace": namespace, "value": "1", "unit": "Count"},
                opts=child,
            )
            self.metric_filters[detection.name] = metric_filter
            self.alarms[detection.name] = aws.cloudwatch.MetricAlarm(
                f"{name}-{detection.name}-alarm",
                name=alarm_name(args.prefix, detection.name),
                alarm_description=f"EKS audit log of {args.cluster_name}: {detection.description}",
                namespace=namespace,
                metric_name=detection.name,
                statistic="Sum",
                period=PERIOD_SECONDS,
                evaluation_periods=1,
                threshold=args.thresholds[detection.name],
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[metric_filter]),
            )

        self.queries = [
            aws.cloudwatch.QueryDefinition(
                f"{name}-query-{query.name}", name=query_name(args.prefix, query.name),
                log_group_names=[args.log_group_name], query_string=query.query, opts=child,
            )
            for query in REVIEW_QUERIES
        ]
        self.register_outputs({
            "topicArn": self.topic.arn,
            "alarmNames": [alarm_name(args.prefix, d) for d in self.alarms],
        })
