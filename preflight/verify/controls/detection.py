"""Audit-log detection as deployed: an alarm per detection on a metric that a filter of the
control-plane log group feeds, notifying the alarm topic; the topic encrypted with the alerts key and
confirmed by a subscriber; the weekly review's saved queries on the log group."""
from __future__ import annotations

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict, unavailable
from ..kms_keys import same_key
from ..outputs import MissingOutput, StackOutputs

ALARMS_RULE = "eks-audit-log-alarms"
# An email subscription stays pending until its address confirms; it delivers nothing until then.
PENDING = "PendingConfirmation"


def topic_arn(outputs: StackOutputs) -> str:
    return f"arn:aws:sns:{outputs.require('region')}:{outputs.require('accountId')}:{outputs.require('alarmTopicName')}"


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    try:
        alarm_names = list(outputs.require("auditAlarmNames", list))
    except MissingOutput as missing:
        alarm_names, missing_alarms = [], missing
    else:
        missing_alarms = None

    def filters() -> list[dict]:
        group = outputs.require("clusterLogGroupName")
        pages = account.client("logs").get_paginator("describe_metric_filters").paginate(logGroupName=group)
        return account.read(("logs.metricFilters", group), lambda: [f for page in pages for f in page["metricFilters"]])

    def subscriptions() -> list[dict]:
        arn = topic_arn(outputs)
        pages = account.client("sns").get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        return account.read(("sns.subscriptions", arn), lambda: [s for page in pages for s in page["Subscriptions"]])

    def alarm(name: str):
        def evaluate() -> Verdict:
            found = account.read(("cloudwatch.alarm", name),
                                 lambda: account.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"])
            if not found:
                raise EvidenceMissing(f"alarm {name} does not exist")
            live = found[0]
            metric = (live.get("Namespace"), live.get("MetricName"))
            fed = [f["filterName"] for f in filters()
                   if any((t.get("metricNamespace"), t.get("metricName")) == metric for t in f.get("metricTransformations", []))]
            notifies = topic_arn(outputs) in live.get("AlarmActions", []) and live.get("ActionsEnabled") is True
            confirmed = [s["Endpoint"] for s in subscriptions() if s.get("SubscriptionArn") not in (None, PENDING)]
            problems = [p for p, bad in (("no metric filter of the log group feeds its metric", not fed),
                                         ("it does not notify the alarm topic", not notifies),
                                         ("no subscriber of the topic has confirmed", not confirmed)) if bad]
            message = "; ".join(problems) or f"fed by {', '.join(fed)}, notifies {len(confirmed)} confirmed subscriber(s)"
            evidence = {"MetricAlarm": {k: live.get(k) for k in ("AlarmName", "Namespace", "MetricName", "Threshold",
                                                                  "ActionsEnabled", "AlarmActions")},
                        "metricFilters": fed, "confirmedSubscribers": len(confirmed)}
            return Verdict(not problems, message, evidence)
        return evaluate

    def topic_kms() -> Verdict:
        expected = outputs.require("kmsKeyArns.alerts")
        attributes = account.read(("sns.topic", topic_arn(outputs)),
                                  lambda: account.client("sns").get_topic_attributes(TopicArn=topic_arn(outputs))["Attributes"])
        key = attributes.get("KmsMasterKeyId")
        return Verdict(same_key(key, expected), f"topic key {key or 'not set'}, expected {expected}", {"KmsMasterKeyId": key})

    def queries() -> Verdict:
        expected = list(outputs.require("reviewQueryNames", list))
        group = outputs.require("clusterLogGroupName")
        groups = account.read(("logs.groups", group), lambda: account.client("logs").describe_log_groups(
            logGroupNamePrefix=group)["logGroups"])
        if not any(g.get("logGroupName") == group for g in groups):
            raise EvidenceMissing(f"log group {group} does not exist, so no query can read it")
        prefix = expected[0].rsplit("/", 1)[0] + "/" if expected else ""
        # DescribeQueryDefinitions has no paginator; it pages with nextToken.
        found, token = [], None
        while True:
            page = account.client("logs").describe_query_definitions(
                queryDefinitionNamePrefix=prefix, maxResults=1000, **({"nextToken": token} if token else {}))
            found += page["queryDefinitions"]  # always in an answer; without it nothing was read
            token = page.get("nextToken")
            if not token:
                break
        on_group = {q["name"] for q in found if group in q.get("logGroupNames", [])}
        missing = [name for name in expected if name not in on_group]
        message = f"missing on {group}: {', '.join(missing)}" if missing else f"{len(expected)} saved queries on {group}"
        return Verdict(bool(expected) and not missing, message, {"queryDefinitions": sorted(on_group)})

    topic = outputs.label("alarmTopicName")
    built = [Control(ALARMS_RULE, name, alarm(name)) for name in alarm_names]
    if missing_alarms is not None:
        built.append(Control(ALARMS_RULE, "<auditAlarmNames not given>", unavailable(missing_alarms)))
    return [
        *built,
        Control("sns-topic-kms", topic, topic_kms),
        Control("eks-audit-review-queries", outputs.label("clusterLogGroupName"), queries),
    ]
