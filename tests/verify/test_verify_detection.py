"""verify's detection and GuardDuty controls on moto: evidence read back, and the answers moto does not
give (saved queries, pending subscriptions, the newer runtime feature) parsed in their documented shape."""
from __future__ import annotations

import boto3
from botocore.stub import Stubber

from moto_server import FAKE_CREDENTIALS
from preflight.verify import StackOutputs, Status, verify
from preflight.verify.account import Account
from preflight.verify.controls import detection
from preflight.verify.controls.guardduty import feature_problems
from verify_account import ALARMS, CLUSTER, QUERIES, REGION, TOPIC, TOPIC_ARN, build_account, clients

GROUP = f"/aws/eks/{CLUSTER}/cluster"


def results(endpoint_url: str, outputs: dict) -> dict:
    found = verify(StackOutputs(outputs), session=boto3.session.Session(**FAKE_CREDENTIALS), endpoint_url=endpoint_url)
    return {(r.rule, r.resource): r for r in found}


def test_evidence_of_alarms_topic_queries_and_guardduty(aws):
    read = results(aws.endpoint_url, build_account(aws.endpoint_url))
    alarm = read[("eks-audit-log-alarms", ALARMS["podExec"])]
    assert alarm.status is Status.PASS, alarm.message
    assert alarm.evidence["MetricAlarm"]["AlarmActions"] == [TOPIC_ARN]
    assert alarm.evidence["metricFilters"] == [f"{CLUSTER}-podExec"] and alarm.evidence["confirmedSubscribers"] == 1
    assert read[("sns-topic-kms", TOPIC)].status is Status.PASS
    assert read[("eks-audit-review-queries", GROUP)].evidence == {"queryDefinitions": sorted(QUERIES)}
    detector = read[("guardduty-eks-protection", "GuardDuty detector")]
    assert detector.evidence["Features"] == {"EKS_AUDIT_LOGS": "ENABLED", "EKS_RUNTIME_MONITORING": "ENABLED"}


def test_an_alarm_that_is_gone_is_an_error_not_a_pass(aws):
    outputs = build_account(aws.endpoint_url)
    clients(aws.endpoint_url)("cloudwatch").delete_alarms(AlarmNames=[ALARMS["secretReads"]])
    result = results(aws.endpoint_url, outputs)[("eks-audit-log-alarms", ALARMS["secretReads"])]
    assert result.status is Status.ERROR and "does not exist" in result.message


def test_a_subscription_nobody_confirmed_fails_every_alarm(aws):
    """moto confirms email subscriptions at once; AWS answers PendingConfirmation until the address confirms."""
    outputs = build_account(aws.endpoint_url)
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, aws.endpoint_url)
    with Stubber(account.client("sns")) as sns:
        sns.add_response("list_subscriptions_by_topic", {"Subscriptions": [{
            "SubscriptionArn": "PendingConfirmation", "Owner": "123456789012", "Protocol": "email",
            "Endpoint": "platform-dev-alerts@example.org", "TopicArn": TOPIC_ARN}]}, {"TopicArn": TOPIC_ARN})
        alarm = next(c for c in detection.controls(account, StackOutputs(outputs)) if c.rule == "eks-audit-log-alarms")
        result = alarm.run()
    assert result.status is Status.FAIL and "no subscriber of the topic has confirmed" in result.message


def test_saved_queries_are_read_across_pages(aws):
    outputs = build_account(aws.endpoint_url)
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, aws.endpoint_url)
    page = lambda names: [{"queryDefinitionId": f"id-{n}", "name": n, "queryString": "fields @timestamp",
                           "lastModified": 1700000000000, "logGroupNames": [GROUP]} for n in names]
    prefix = "devsecops-dev/weekly-review/"
    with Stubber(account.client("logs")) as logs:
        logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": GROUP}]}, {"logGroupNamePrefix": GROUP})
        logs.add_response("describe_query_definitions", {"queryDefinitions": page(QUERIES[:2]), "nextToken": "t"},
                          {"queryDefinitionNamePrefix": prefix, "maxResults": 1000})
        logs.add_response("describe_query_definitions", {"queryDefinitions": page(QUERIES[2:])},
                          {"queryDefinitionNamePrefix": prefix, "maxResults": 1000, "nextToken": "t"})
        queries = next(c for c in detection.controls(account, StackOutputs(outputs)) if c.rule == "eks-audit-review-queries")
        assert queries.run().status is Status.PASS


# GetDetector as the API reference documents it; moto echoes back only the features it was given.
DOCUMENTED = {
    "Status": "ENABLED", "ServiceRole": "arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/x",
    "Features": [
        {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED", "UpdatedAt": "2025-01-01T00:00:00Z"},
        {"Name": "RUNTIME_MONITORING", "Status": "ENABLED", "AdditionalConfiguration": [
            {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}, {"Name": "ECS_FARGATE_AGENT_MANAGEMENT", "Status": "DISABLED"}]},
        {"Name": "S3_DATA_EVENTS", "Status": "DISABLED"},
    ],
}


def test_the_newer_runtime_monitoring_feature_counts():
    assert feature_problems(DOCUMENTED) == []


def test_runtime_monitoring_without_its_addon_fails():
    features = [f if f["Name"] != "RUNTIME_MONITORING" else {**f, "AdditionalConfiguration": []} for f in DOCUMENTED["Features"]]
    assert feature_problems({**DOCUMENTED, "Features": features}) == ["runtime monitoring does not manage its EKS addon"]


def test_a_suspended_detector_fails():
    assert feature_problems({**DOCUMENTED, "Status": "DISABLED"}) == ["detector status DISABLED"]
