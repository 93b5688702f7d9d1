"""Pieces of a restricted pod spec, shared by every workload the stack runs (Pod Security "restricted").

Plain camelCase dicts, the shape the API server and the recorded plan use, so tests and the
manifest validator read them as written.
"""
from __future__ import annotations

from typing import Any, Mapping

from components.config import Resources

NAME_LABEL = "app.kubernetes.io/name"
# Writable scratch space for a read-only root filesystem.
TMP_VOLUME = {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}
TMP_MOUNT = {"name": "tmp", "mountPath": "/tmp"}


def labels(name: str, part_of: str) -> dict[str, str]:
    return {NAME_LABEL: name, "app.kubernetes.io/part-of": part_of}


def pod_security_context(uid: int) -> dict[str, Any]:
    """Fixed non-zero uid/gid, volumes group-owned by it, RuntimeDefault seccomp."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(uid: int) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_resources(resources: Resources) -> dict[str, Any]:
    return {"requests": dict(resources.requests), "limits": dict(resources.limits)}


def http_probes(path: str, port: int) -> dict[str, Any]:
    get = {"path": path, "port": port}
    return {
        "readinessProbe": {"httpGet": get, "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
        "livenessProbe": {"httpGet": get, "initialDelaySeconds": 10, "periodSeconds": 20, "timeoutSeconds": 2, "failureThreshold": 3},
    }


def env_list(plain: Mapping[str, str], from_secret: Mapping[str, str], secret_name: str) -> list[dict[str, Any]]:
    """Plain variables first, then variables read from keys of one Secret (never copied into the spec)."""
    env = [{"name": k, "value": v} for k, v in sorted(plain.items())]
    env += [{"name": k, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}} for k, key in sorted(from_secret.items())]
    return env


def topology_spread(name: str) -> list[dict[str, Any]]:
    """Replicas spread over zones first, then nodes, so one zone or node failing leaves replicas running."""
    return [
        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when, "labelSelector": {"matchLabels": {NAME_LABEL: name}}}
        for key, when in (("topology.kubernetes.io/zone", "DoNotSchedule"), ("kubernetes.io/hostname", "ScheduleAnyway"))
    ]
