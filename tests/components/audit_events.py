"""Audit events as the EKS control plane writes them to CloudWatch Logs (audit.k8s.io/v1 Event, one
JSON object per log event), with the fields the detections read; everything else as EKS fills it."""
from __future__ import annotations

from typing import Any

DEPLOYER = "arn:aws:sts::111111111111:assumed-role/platform-deployer/pulumi"
DEVELOPER = "arn:aws:sts::111111111111:assumed-role/developers/alice"


def audit_event(verb: str, resource: str | None, *, subresource: str | None = None, name: str | None = None,
                namespace: str | None = "app", api_group: str = "", user: str = DEVELOPER,
                groups: tuple[str, ...] = ("system:authenticated",), stage: str = "ResponseComplete",
                code: int = 200, uri: str | None = None, request_object: Any = None,
                response_object: Any = None) -> dict:
    object_ref: dict[str, Any] = {"resource": resource, "apiVersion": "v1"} if resource else {}
    if object_ref:
        if api_group:
            object_ref["apiGroup"] = api_group
        if namespace:
            object_ref["namespace"] = namespace
        if name:
            object_ref["name"] = name
        if subresource:
            object_ref["subresource"] = subresource
    path = uri or f"/api/v1/namespaces/{namespace}/{resource}/{name or ''}"
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse" if response_object is not None else "Metadata",
        "auditID": "5e8a3c2c-0e51-4d53-9ba4-0c6e0b0f3f10",
        "stage": stage,
        "requestURI": path,
        "verb": verb,
        "user": {"username": user, "uid": "aws-iam-authenticator:111111111111:AROAEXAMPLE", "groups": list(groups)},
        "sourceIPs": ["10.0.12.34"],
        "userAgent": "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": "2025-03-04T10:11:12.123456Z",
        "stageTimestamp": "2025-03-04T10:11:12.234567Z",
        "annotations": {"authorization.k8s.io/decision": "allow" if code < 400 else "forbid"},
    }
    if object_ref:
        event["objectRef"] = object_ref
    if request_object is not None:
        event["requestObject"] = request_object
    if response_object is not None:
        event["responseObject"] = response_object
    return event


def binding(kind: str, role: str, *subjects: tuple[str, str]) -> dict:
    """A (Cluster)RoleBinding object as the API server returns it."""
    return {
        "kind": kind, "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "granted", "uid": "0b9d5f58-1f1b-4a3e-9f0e-3f1d2c3b4a5e"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": k, "apiGroup": "rbac.authorization.k8s.io", "name": n} for k, n in subjects],
    }


def binding_write(verb: str, kind: str, role: str, *subjects: tuple[str, str], user: str = DEVELOPER) -> dict:
    resource = "clusterrolebindings" if kind == "ClusterRoleBinding" else "rolebindings"
    stored = binding(kind, role, *subjects)
    return audit_event(verb, resource, name="granted", api_group="rbac.authorization.k8s.io",
                       namespace=None if resource == "clusterrolebindings" else "app", user=user,
                       code=201 if verb == "create" else 200,
                       request_object=stored if verb != "patch" else {"subjects": stored["subjects"]},
                       response_object=stored)
