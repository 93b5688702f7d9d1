"""Audit-log detection: every filter pattern run against realistic EKS audit events, matching and not,
and the filters, alarms, topic, subscriptions and saved queries the program registers for dev and prod."""
from __future__ import annotations

import json

import pytest

from audit_events import DEPLOYER, audit_event, binding_write
from cloudwatch_filter import Unsupported, matches
from components.audit_detections import (
    DEFAULT_THRESHOLDS, MAX_PATTERN_LENGTH, PERIOD_SECONDS, REVIEW_QUERIES, detections,
)
from components.detection import metric_namespace
from preflight.engine import run_program
from preflight.model import Plan
from stack_variants import stack_variant

CONTROLLERS = ("kyverno", "argocd", "external-secrets")
PATTERNS = {d.name: d.pattern for d in detections(CONTROLLERS)}
SUBSCRIBERS = {"dev": ["platform-dev-alerts@example.org"], "prod": ["security-oncall@example.org"]}
ESO = "system:serviceaccount:external-secrets:external-secrets"

# Per detection: events it must count, and events it must not, each with why.
CASES = {
    "podExec": (
        [audit_event("create", "pods", subresource="exec", name="backend-7d9f", stage="ResponseStarted", code=101),
         audit_event("get", "pods", subresource="exec", name="backend-7d9f", stage="ResponseStarted", code=101),
         audit_event("create", "pods", subresource="attach", name="backend-7d9f", stage="ResponseStarted", code=101),
         audit_event("create", "pods", subresource="portforward", name="postgres-0", stage="ResponseStarted", code=101),
         audit_event("create", "pods", subresource="exec", name="backend-7d9f", code=403)],
        [audit_event("get", "pods", subresource="log", name="backend-7d9f"),
         audit_event("create", "pods", name="backend-7d9f", code=201),
         audit_event("create", "pods", subresource="exec", name="backend-7d9f", stage="RequestReceived")],
    ),
    "secretReads": (
        [audit_event("get", "secrets", name="app-secrets"),
         audit_event("list", "secrets", namespace="kube-system", user="system:serviceaccount:app:backend"),
         audit_event("watch", "secrets", namespace="argocd", user=DEPLOYER)],
        [audit_event("get", "secrets", name="app-secrets", user=ESO),
         audit_event("list", "secrets", namespace="kyverno", user="system:serviceaccount:kyverno:kyverno-admission-controller"),
         audit_event("watch", "secrets", user="system:node:ip-10-0-12-34.eu-west-1.compute.internal"),
         audit_event("get", "secrets", name="app-secrets", user="system:kube-controller-manager"),
         audit_event("create", "secrets", name="app-secrets", code=201),
         audit_event("get", "configmaps", name="app-config")],
    ),
    "clusterAdminBinding": (
        [binding_write("create", "ClusterRoleBinding", "cluster-admin", ("User", "mallory")),
         binding_write("patch", "ClusterRoleBinding", "cluster-admin", ("Group", "ops"), ("User", "mallory")),
         binding_write("create", "RoleBinding", "cluster-admin", ("ServiceAccount", "default"))],
        [binding_write("create", "ClusterRoleBinding", "view", ("User", "alice")),
         binding_write("delete", "ClusterRoleBinding", "cluster-admin", ("User", "alice")),
         audit_event("get", "clusterrolebindings", name="cluster-admin", namespace=None, api_group="rbac.authorization.k8s.io")],
    ),
    "anonymousBinding": (
        [binding_write("create", "ClusterRoleBinding", "view", ("User", "system:anonymous")),
         binding_write("update", "RoleBinding", "edit", ("User", "alice"), ("Group", "system:unauthenticated")),
         binding_write("patch", "ClusterRoleBinding", "view", ("User", "a"), ("User", "b"), ("User", "c"),
                       ("Group", "system:unauthenticated"))],
        [binding_write("create", "ClusterRoleBinding", "view", ("Group", "system:authenticated")),
         binding_write("create", "RoleBinding", "edit", ("User", "alice"))],
    ),
    "admissionChange": (
        [audit_event("delete", "clusterpolicies", name="verify-image-signatures", namespace=None, api_group="kyverno.io",
                     user=DEPLOYER),
         audit_event("patch", "validatingwebhookconfigurations", name="kyverno-resource-validating-webhook-cfg",
                     namespace=None, api_group="admissionregistration.k8s.io"),
         audit_event("create", "policyexceptions", name="allow-all", namespace="kyverno", api_group="kyverno.io", code=201),
         audit_event("delete", "mutatingwebhookconfigurations", name="kyverno-resource-mutating-webhook-cfg",
                     namespace=None, api_group="admissionregistration.k8s.io")],
        [audit_event("update", "validatingwebhookconfigurations", name="kyverno-resource-validating-webhook-cfg",
                     namespace=None, api_group="admissionregistration.k8s.io",
                     user="system:serviceaccount:kyverno:kyverno-admission-controller"),
         audit_event("update", "mutatingwebhookconfigurations", name="vpc-resource-mutating-webhook", namespace=None,
                     api_group="admissionregistration.k8s.io", user="eks:vpc-resource-controller"),
         audit_event("get", "clusterpolicies", name="verify-image-signatures", namespace=None, api_group="kyverno.io")],
    ),
    "anonymousRequests": (
        [audit_event("list", "secrets", namespace="kube-system", user="system:anonymous",
                     groups=("system:unauthenticated",), code=403),
         audit_event("get", None, user="system:anonymous", groups=("system:unauthenticated",), uri="/api", code=403)],
        [audit_event("get", None, user="system:anonymous", groups=("system:unauthenticated",), uri="/healthz"),
         audit_event("get", None, user="system:anonymous", groups=("system:unauthenticated",), uri="/readyz?verbose"),
         audit_event("get", None, user="system:anonymous", groups=("system:unauthenticated",), uri="/version"),
         audit_event("get", "pods", name="backend-7d9f")],
    ),
    "authFailures": (
        [audit_event("list", "secrets", namespace="kube-system", code=403),
         audit_event("get", None, user="system:anonymous", uri="/api", code=401)],
        [audit_event("list", "pods"), audit_event("get", "pods", name="gone", code=404),
         audit_event("list", "secrets", namespace="kube-system", code=403, stage="RequestReceived")],
    ),
}


def test_every_detection_has_cases():
    assert set(CASES) == set(PATTERNS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pattern_counts_the_events_it_is_for(name):
    hits, misses = CASES[name]
    assert [matches(PATTERNS[name], e) for e in hits] == [True] * len(hits)
    assert [matches(PATTERNS[name], e) for e in misses] == [False] * len(misses)


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_its_own_detections_count_an_event_meant_for_another(name):
    """A pod exec is not a Secret read: each detection's events, the unrelated ones at least, stay its own."""
    unrelated = {"podExec": {"secretReads", "clusterAdminBinding", "anonymousBinding", "admissionChange"},
                 "clusterAdminBinding": {"podExec", "secretReads", "admissionChange", "anonymousRequests"}}
    for other in unrelated.get(name, ()):
        assert not any(matches(PATTERNS[other], e) for e in CASES[name][0]), other


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_fits_cloudwatchs_limit(name):
    assert len(PATTERNS[name]) <= MAX_PATTERN_LENGTH


def test_the_evaluator_refuses_what_it_cannot_judge_and_judges_what_it_reads():
    with pytest.raises(Unsupported):
        matches('{ $.a[*].b = "x" }', {"a": [{"b": "x"}]})
    with pytest.raises(Unsupported):
        matches('{ $.a = "x" && $.b = "y" || $.c = "z" }', {})
    assert matches('{ $.user.username = "system:serviceaccount:kyverno:*" }',
                   {"user": {"username": "system:serviceaccount:kyverno:reports"}})
    assert not matches('{ $.missing != "x" }', {})
    assert matches("{ $.responseStatus.code >= 400 }", {"responseStatus": {"code": 403}})


# --- What the program registers ------------------------------------------------------------------

def _filters(plan: Plan) -> dict[str, dict]:
    return {r.inputs["metricTransformation"]["name"]: r.inputs
            for r in plan.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}


def test_a_filter_per_detection_on_the_audit_log_group(plan: Plan):
    group = plan.outputs["clusterLogGroupName"]
    filters = _filters(plan)
    assert {name: f["pattern"] for name, f in filters.items()} == PATTERNS
    for name, inputs in filters.items():
        assert inputs["logGroupName"] == group == f"/aws/eks/{plan.outputs['clusterName']}/cluster"
        assert inputs["metricTransformation"] == {"name": name, "namespace": metric_namespace(plan.outputs["clusterName"]),
                                                  "value": "1", "unit": "Count"}


def test_an_alarm_per_detection_notifies_the_encrypted_topic(plan: Plan):
    topic = plan.one("aws:sns/topic:Topic")
    assert topic.inputs["name"] == plan.outputs["alarmTopicName"]
    assert topic.inputs["kmsMasterKeyId"] == plan.outputs["kmsKeyArns"]["alerts"]
    alarms = {r.inputs["metricName"]: r for r in plan.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == set(PATTERNS)
    assert sorted(r.inputs["name"] for r in alarms.values()) == sorted(plan.outputs["auditAlarmNames"])
    for name, alarm in alarms.items():
        inputs = alarm.inputs
        assert inputs["threshold"] == DEFAULT_THRESHOLDS[name]
        assert (inputs["statistic"], inputs["period"], inputs["evaluationPeriods"]) == ("Sum", PERIOD_SECONDS, 1)
        assert inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert inputs["treatMissingData"] == "notBreaching"
        assert alarm.property_dependencies["alarmActions"] == (topic.urn,)


def test_topic_accepts_only_the_stacks_alarms_and_rules_and_reaches_the_subscribers(plan: Plan):
    account = plan.outputs["accountId"]
    prefix = plan.outputs["clusterName"]
    statements = json.loads(plan.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])["Statement"]
    assert {s["Principal"]["Service"]: s["Condition"]["ArnLike"]["aws:SourceArn"] for s in statements} == {
        "cloudwatch.amazonaws.com": f"arn:aws:cloudwatch:eu-west-1:{account}:alarm:{prefix}-*",
        "events.amazonaws.com": f"arn:aws:events:eu-west-1:{account}:rule/{prefix}-*",
    }
    topic_arn = f"arn:aws:sns:eu-west-1:{account}:{plan.outputs['alarmTopicName']}"
    assert all(s["Condition"]["StringEquals"] == {"aws:SourceAccount": account} and s["Action"] == "sns:Publish"
               and s["Resource"] == topic_arn for s in statements)
    subscriptions = plan.by_type("aws:sns/topicSubscription:TopicSubscription")
    assert [(s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions] == [("email", a) for a in SUBSCRIBERS[plan.stack]]


def test_alerts_key_lets_only_the_publishers_of_this_account_encrypt(plan: Plan):
    key = next(r for r in plan.by_type("aws:kms/key:Key") if r.name == "keys-alerts")
    [publishers] = [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Sid"] == "AlertPublishersUseKey"]
    assert publishers["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}
    assert publishers["Condition"] == {"StringEquals": {"aws:SourceAccount": plan.outputs["accountId"]}}


def test_review_queries_are_saved_on_the_audit_log_group(plan: Plan):
    queries = plan.by_type("aws:cloudwatch/queryDefinition:QueryDefinition")
    assert sorted(q.inputs["name"] for q in queries) == sorted(plan.outputs["reviewQueryNames"])
    assert {q.inputs["queryString"] for q in queries} == {q.query for q in REVIEW_QUERIES}
    assert all(q.inputs["logGroupNames"] == [plan.outputs["clusterLogGroupName"]] for q in queries)


def test_thresholds_come_from_the_stack_and_keep_their_defaults_elsewhere(tmp_path):
    plan = run_program(stack_file=stack_variant(tmp_path, changes={"auditAlarmThresholds": {"authFailures": 50}}))
    thresholds = {r.inputs["metricName"]: r.inputs["threshold"] for r in plan.by_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert thresholds == {**DEFAULT_THRESHOLDS, "authFailures": 50}
