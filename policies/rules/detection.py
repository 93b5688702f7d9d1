"""Detective controls: the EKS audit log watched by alarms that reach someone, saved queries for the
weekly review, alarm topics encrypted, and GuardDuty protecting EKS with its findings alerted.

A detection is recognised by what its filter pattern selects, not by its name: each required
detection lists the JSON selector terms a pattern must contain to count (so a filter renamed, or
one that watches something else under a familiar name, is judged by what it watches).
"""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import nist_800_53
from policies.rule import Finding, Rule, config_value, each_resource
from policies.rules.eks_view import clusters
from policies.stack import companions, of_type, referenced
from policies.values import as_list, get, is_set, json_document, known, mapping, objects, strings, text

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"

# What the audit log must be watched for: detection -> terms its filter pattern contains.
REQUIRED_DETECTIONS = {
    "exec, attach or port-forward into pods": ('$.objectRef.subresource = "exec"', '$.objectRef.subresource = "attach"',
                                               '$.objectRef.subresource = "portforward"'),
    "reads of Secrets": ('$.objectRef.resource = "secrets"', '$.verb = "get"'),
    "bindings to cluster-admin": ('roleRef.name = "cluster-admin"',),
    "bindings of anonymous groups": ('.name = "system:anonymous"', '.name = "system:unauthenticated"'),
    "changes to Kyverno policies and admission webhooks": ('$.objectRef.apiGroup = "kyverno.io"',
                                                           '"validatingwebhookconfigurations"',
                                                           '"mutatingwebhookconfigurations"'),
    "anonymous requests": ('$.user.username = "system:anonymous"',),
    "bursts of 401 and 403 answers": ("$.responseStatus.code = 401", "$.responseStatus.code = 403"),
}


def _audit_log_name(cluster) -> str | None:
    name = cluster.name()
    return None if name is None else f"/aws/eks/{name}/cluster"


def _reads_group(resource, prop: str, group_name: str) -> bool:
    """Whether `prop` of the resource names the log group: computed from it, or its literal name."""
    if any(text(d.props, "name") == group_name for d in referenced(resource, prop, LOG_GROUP)):
        return True
    return group_name in as_list(get(resource.props, prop))


def _alarms_on(resources, metric_filter) -> list:
    transformation = mapping(metric_filter.props, "metricTransformation")
    metric = (text(transformation, "namespace", at="metricTransformation"),
              text(transformation, "name", at="metricTransformation"))
    return [a for a in of_type(resources, ALARM)
            if (text(a.props, "namespace"), text(a.props, "metricName")) == metric]


def _audit_alarms(args, config):
    resources = args.resources
    filters = of_type(resources, METRIC_FILTER)
    subscribers = companions(resources, "topic", SUBSCRIPTION)

    def check(cluster):
        group = _audit_log_name(cluster)
        if group is None:
            yield "the cluster has no explicit name, so its audit log group cannot be found"
            return
        watching = [f for f in filters if _reads_group(f, "logGroupName", group)]
        for detection, terms in REQUIRED_DETECTIONS.items():
            matching = [f for f in watching if all(t in text(f.props, "pattern", default="") for t in terms)]
            if not matching:
                yield f"no metric filter on {group} watches for {detection}"
                continue
            alarms = [a for f in matching for a in _alarms_on(resources, f)]
            notified = [a for a in alarms if is_set(a.props, "alarmActions")]
            if not notified:
                yield f"no alarm with an action watches the metric of the filter for {detection}"
            for alarm in notified:
                for topic in referenced(alarm, "alarmActions", TOPIC):
                    if not subscribers(topic, None):
                        yield f"alarm topic {text(topic.props, 'name') or topic.urn} has no subscriber"
    findings = list(each_resource(clusters(resources), check))
    # One message per topic, however many alarms share it.
    yield from dict.fromkeys(findings)


def _review_queries(args, config):
    queries = of_type(args.resources, QUERY)

    def check(cluster):
        group = _audit_log_name(cluster)
        if group is not None and not any(_reads_group(q, "logGroupNames", group) for q in queries):
            yield f"no saved Logs Insights query reads {group} for the audit log review"
    return each_resource(clusters(args.resources), check)


def _topic_kms(args, config):
    # Presence: an unknown key id is a key the stack creates.
    if not is_set(args.props, "kmsMasterKeyId"):
        yield "topic is not encrypted (kmsMasterKeyId)"
    elif known(args.props, "kmsMasterKeyId") == (True, "alias/aws/sns"):
        yield "topic uses the AWS managed key alias/aws/sns, whose policy no one here controls"


GUARDDUTY_CONFIG = {
    "managedCentrally": {"type": "boolean", "default": False,
                         "description": "The organisation's delegated GuardDuty administrator owns this account's "
                                        "detector (guardDutyManagedCentrally); only the findings route is judged."},
}
# Feature -> additional configurations it needs enabled. RUNTIME_MONITORING is the newer feature that
# covers EKS as well; either counts as runtime monitoring.
AUDIT_FEATURE = "EKS_AUDIT_LOGS"
RUNTIME_FEATURES = ("EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING")
ADDON_MANAGEMENT = "EKS_ADDON_MANAGEMENT"


def _enabled(props, *path, at: str = "") -> bool:
    return text(props, *path, at=at) == "ENABLED"


def _detector_findings(resources, detector) -> list[str]:
    if get(detector.props, "enable") is False:
        return ["the GuardDuty detector is disabled"]
    features = {text(f.props, "name"): f for f in of_type(resources, FEATURE)
                if any(d.urn == detector.urn for d in referenced(f, "detectorId", DETECTOR))}
    problems = []
    audit = features.get(AUDIT_FEATURE)
    if audit is None or not _enabled(audit.props, "status"):
        problems.append("EKS audit log monitoring (EKS_AUDIT_LOGS) is not enabled")
    runtime = [features[n] for n in RUNTIME_FEATURES if n in features and _enabled(features[n].props, "status")]
    if not runtime:
        problems.append("EKS runtime monitoring (EKS_RUNTIME_MONITORING) is not enabled")
    elif not any(text(extra, "name", at=at) == ADDON_MANAGEMENT and _enabled(extra, "status", at=at)
                 for feature in runtime for at, extra in objects(feature.props, "additionalConfigurations")):
        problems.append("runtime monitoring does not manage its EKS addon (EKS_ADDON_MANAGEMENT), so no node runs the agent")
    return problems


def _routes_findings(resources) -> bool:
    targets = companions(resources, "rule", EVENT_TARGET)
    for rule in of_type(resources, EVENT_RULE):
        pattern = json_document(rule.props, "eventPattern") or {}
        if "aws.guardduty" in strings(pattern, "source", at="eventPattern"):
            if any(referenced(t, "arn", TOPIC) or is_set(t.props, "arn") for t in targets(rule, text(rule.props, "name"))):
                return True
    return False


def _guardduty(args, config):
    if not clusters(args.resources):
        return
    if not config_value(config, GUARDDUTY_CONFIG, "managedCentrally"):
        detectors = of_type(args.resources, DETECTOR)
        if not detectors:
            yield Finding(None, "the stack creates no GuardDuty detector (set managedCentrally where the organisation runs it)")
        yield from each_resource(detectors, lambda d: _detector_findings(args.resources, d))
    if not _routes_findings(args.resources):
        yield Finding(None, "no EventBridge rule sends GuardDuty findings to a target")


RULES = (
    Rule(
        name="eks-audit-log-alarms",
        description="The EKS audit log is watched: a metric filter on the control-plane log group and an alarm "
                    "notifying a subscribed topic for each of exec/attach/port-forward, Secret reads, cluster-admin "
                    "and anonymous bindings, Kyverno and webhook changes, anonymous requests and 401/403 bursts.",
        severity=Severity.HIGH,
        controls=(nist_800_53("AU-6"), nist_800_53("SI-4")),
        tags=("logging", "detection", "eks"),
        remediation="Register components.detection.Detection on the cluster's log group with at least one "
                    "alarmSubscribers address; keep one filter and one alarm per detection.",
        url="https://docs.aws.amazon.com/eks/latest/best-practices/auditing-and-logging.html",
        check=_audit_alarms,
    ),
    Rule(
        name="eks-audit-review-queries",
        description="Saved Logs Insights queries read the EKS control-plane log group for the weekly audit log review.",
        severity=Severity.LOW,
        controls=(nist_800_53("AU-6"),),
        tags=("logging", "detection", "eks"),
        remediation="Save the review queries (components.audit_detections.REVIEW_QUERIES) on the control-plane log group.",
        url="https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_Insights-Saving-Queries.html",
        check=_review_queries,
    ),
    Rule(
        name="sns-topic-kms",
        description="SNS topics are encrypted with a customer-managed KMS key.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("SC-28"),),
        tags=("encryption", "kms", "detection"),
        remediation="Set kmsMasterKeyId to the stack's alerts key, whose policy lets CloudWatch and EventBridge publish.",
        url="https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
        check=_topic_kms,
        resource_types=(TOPIC,),
    ),
    Rule(
        name="guardduty-eks-protection",
        description="GuardDuty runs for the account with EKS audit log monitoring and EKS runtime monitoring (agent "
                    "managed as an addon), unless the organisation runs it centrally; its findings are routed to a target.",
        severity=Severity.HIGH,
        controls=(nist_800_53("SI-4"),),
        tags=("detection", "guardduty", "eks"),
        remediation="Register components.guardduty.GuardDuty (guardDutyManagedCentrally false), or set managedCentrally "
                    "in the pack config where the organisation's delegated administrator runs GuardDuty.",
        url="https://docs.aws.amazon.com/guardduty/latest/ug/kubernetes-protection.html",
        check=_guardduty,
        config=GUARDDUTY_CONFIG,
    ),
)
