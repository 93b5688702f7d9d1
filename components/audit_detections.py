"""What the EKS audit log is watched for: one CloudWatch Logs metric filter per detection, and the
Logs Insights queries of the weekly review. Pure data, so tests run every pattern against audit events.

Every audit event reaches the control-plane log group as one JSON object (audit.k8s.io/v1 Event).
The patterns use only the JSON filter syntax CloudWatch documents: `$.a.b` and `$.a[0].b` selectors,
`=`/`!=` with quoted strings (`*` as a wildcard) or numbers, `&&`, `||` and parentheses. Each
request is counted once: at ResponseComplete, or at ResponseStarted for the long-running
exec/attach/portforward streams, whose ResponseComplete comes only when the session ends.
EKS logs Secrets at Metadata level (no object bodies) and RBAC writes with their bodies, which is
what these patterns read.
"""
from __future__ import annotations

from dataclasses import dataclass

# Metric namespace of every audit detection; alarms and verify look the metrics up here.
METRIC_NAMESPACE = "DevSecOps/EKSAudit"
# Alarms judge the sum over one period.
PERIOD_SECONDS = 300
MAX_PATTERN_LENGTH = 1024  # CloudWatch refuses a longer filter pattern
# A binding lists its subjects; CloudWatch selects array elements by index only, so this many are read.
# A binding that hides everyone further down its list is found by the pack at preview and by the
# weekly review query, which reads every subject.
SUBJECTS_READ = 4
ANONYMOUS_SUBJECTS = ("system:anonymous", "system:unauthenticated")
# Identities of the control plane itself that read Secrets by design: the kubelets (only their
# pods' Secrets, by the node authorizer), the controller manager, the API server and EKS's own.
CONTROL_PLANE_READERS = ("system:node:*", "system:kube-controller-manager", "system:apiserver", "eks:*")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
# Anonymous requests the API server answers by design (system:public-info-viewer).
PUBLIC_PATHS = ("/healthz*", "/livez*", "/readyz*", "/version*")


@dataclass(frozen=True)
class AuditDetection:
    name: str  # the threshold's key in auditAlarmThresholds, the metric and alarm name
    description: str
    pattern: str
    default_threshold: int


def _any(selector: str, values: tuple[str, ...]) -> str:
    return "(" + " || ".join(f'({selector} = "{v}")' for v in values) + ")"


def _none(selector: str, values: tuple[str, ...]) -> str:
    return " && ".join(f'({selector} != "{v}")' for v in values)


def _json(*terms: str) -> str:
    return "{ " + " && ".join(terms) + " }"


COMPLETE = '($.stage = "ResponseComplete")'


def service_accounts(namespaces: tuple[str, ...]) -> tuple[str, ...]:
    """Every service account of the platform's controller namespaces, as a wildcard username."""
    return tuple(f"system:serviceaccount:{ns}:*" for ns in namespaces)


def detections(controller_namespaces: tuple[str, ...]) -> tuple[AuditDetection, ...]:
    """The detections, given the namespaces of the platform's own controllers (Kyverno, ArgoCD,
    External Secrets), whose service accounts read Secrets and manage webhooks by design."""
    controllers = service_accounts(controller_namespaces)
    bindings = _any("$.objectRef.resource", ("clusterrolebindings", "rolebindings"))
    binding_writes = _any("$.verb", ("create", "update", "patch"))
    # The binding as stored after the write (the response), so create, update and patch read alike.
    anonymous_subjects = " || ".join(
        f'($.responseObject.subjects[{i}].name = "{s}")' for i in range(SUBJECTS_READ) for s in ANONYMOUS_SUBJECTS
    )
    return (
        AuditDetection(
            "podExec", "a shell or stream into a pod: exec, attach or port-forward",
            _json('($.objectRef.resource = "pods")', _any("$.objectRef.subresource", ("exec", "attach", "portforward")),
                  _any("$.stage", ("ResponseStarted", "ResponseComplete"))),
            1,
        ),
        AuditDetection(
            "secretReads", "Secrets read by an identity that is not one of the platform's controllers",
            _json('($.objectRef.resource = "secrets")', _any("$.verb", ("get", "list", "watch")),
                  _none("$.user.username", controllers + CONTROL_PLANE_READERS), COMPLETE),
            1,
        ),
        AuditDetection(
            # The stored binding (the response): a new one, or new subjects on an existing one.
            "clusterAdminBinding", "a (Cluster)RoleBinding to cluster-admin created or given new subjects",
            _json(bindings, binding_writes, '($.responseObject.roleRef.name = "cluster-admin")', COMPLETE),
            1,
        ),
        AuditDetection(
            "anonymousBinding", "a (Cluster)RoleBinding that binds system:anonymous or system:unauthenticated",
            _json(bindings, binding_writes, f"({anonymous_subjects})", COMPLETE),
            1,
        ),
        AuditDetection(
            "admissionChange", "a Kyverno policy or an admission webhook configuration changed or deleted by "
                               "anyone but Kyverno itself or EKS",
            _json("(" + " || ".join(('($.objectRef.apiGroup = "kyverno.io")',
                                     '($.objectRef.resource = "validatingwebhookconfigurations")',
                                     '($.objectRef.resource = "mutatingwebhookconfigurations")')) + ")",
                  _any("$.verb", WRITE_VERBS),
                  _none("$.user.username", service_accounts(("kyverno",)) + ("eks:*",)), COMPLETE),
            1,
        ),
        AuditDetection(
            "anonymousRequests", "a request by system:anonymous beyond the public health and version paths",
            _json('($.user.username = "system:anonymous")', _none("$.requestURI", PUBLIC_PATHS), COMPLETE),
            1,
        ),
        AuditDetection(
            "authFailures", "a burst of requests refused as unauthenticated (401) or forbidden (403)",
            _json("(($.responseStatus.code = 401) || ($.responseStatus.code = 403))", COMPLETE),
            20,
        ),
    )


DETECTION_NAMES = tuple(d.name for d in detections(()))
DEFAULT_THRESHOLDS = {d.name: d.default_threshold for d in detections(())}


@dataclass(frozen=True)
class ReviewQuery:
    name: str
    query: str


# The weekly review (Logs Insights): what each alarm counts, with who, what and from where.
REVIEW_QUERIES = (
    ReviewQuery("pod-exec-sessions",
                "fields @timestamp, user.username, objectRef.namespace, objectRef.name, objectRef.subresource, sourceIPs.0\n"
                "| filter objectRef.resource = 'pods' and objectRef.subresource in ['exec', 'attach', 'portforward']\n"
                "| sort @timestamp desc"),
    ReviewQuery("secret-readers",
                "filter objectRef.resource = 'secrets' and verb in ['get', 'list', 'watch']\n"
                "| stats count(*) as reads by user.username, objectRef.namespace, objectRef.name\n"
                "| sort reads desc"),
    ReviewQuery("rbac-changes",
                "fields @timestamp, user.username, verb, objectRef.resource, objectRef.namespace, objectRef.name, "
                "requestObject.roleRef.name, requestObject.subjects.0.name\n"
                "| filter objectRef.apiGroup = 'rbac.authorization.k8s.io' and verb in ['create', 'update', 'patch', 'delete']\n"
                "| sort @timestamp desc"),
    ReviewQuery("bindings-to-everyone",
                # Reads the whole request body, so a subject at any position is found.
                "fields @timestamp, user.username, verb, objectRef.resource, objectRef.namespace, objectRef.name\n"
                "| filter objectRef.resource like /rolebindings/ and verb in ['create', 'update', 'patch']\n"
                "| filter @message like /system:(anonymous|unauthenticated|authenticated)/\n"
                "| sort @timestamp desc"),
    ReviewQuery("admission-changes",
                "fields @timestamp, user.username, verb, objectRef.apiGroup, objectRef.resource, objectRef.name\n"
                "| filter (objectRef.apiGroup = 'kyverno.io' or objectRef.resource like /webhookconfigurations/)"
                " and verb in ['create', 'update', 'patch', 'delete', 'deletecollection']\n"
                "| sort @timestamp desc"),
    ReviewQuery("denied-and-anonymous",
                "filter responseStatus.code in [401, 403] or user.username = 'system:anonymous'\n"
                "| stats count(*) as requests by user.username, sourceIPs.0, responseStatus.code, bin(1d)\n"
                "| sort requests desc"),
)
REVIEW_QUERY_NAMES = tuple(q.name for q in REVIEW_QUERIES)
