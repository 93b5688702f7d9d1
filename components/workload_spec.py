"""Pieces of a restricted pod spec, shared by every workload the stack runs (Pod Security "restricted").

Plain camelCase dicts, the shape the API server and the recorded plan use, so tests and the
manifest validator read them as written.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from components.config import Resources

NAME_LABEL = "app.kubernetes.io/name"
# Writable scratch space for a read-only root filesystem.
TMP_VOLUME = {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}
TMP_MOUNT = {"name": "tmp", "mountPath": "/tmp"}
# Where keys of the app secret appear as files; a workload's variable holds the path, never the value.
SECRETS_VOLUME = "app-secrets"
SECRETS_MOUNT = "/var/run/secrets/app"
SECRETS_VOLUME_MOUNT = {"name": SECRETS_VOLUME, "mountPath": SECRETS_MOUNT, "readOnly": True}


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


def http_probes(liveness_path: str, readiness_path: str, port: int) -> dict[str, Any]:
    return {
        "readinessProbe": {"httpGet": {"path": readiness_path, "port": port},
                           "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3},
        "livenessProbe": {"httpGet": {"path": liveness_path, "port": port},
                          "initialDelaySeconds": 10, "periodSeconds": 20, "timeoutSeconds": 2, "failureThreshold": 3},
    }


def secret_file(key: str) -> str:
    """The path at which a key of the app secret is mounted."""
    return f"{SECRETS_MOUNT}/{key}"


def env_list(plain: Mapping[str, str], secret_files: Mapping[str, str]) -> list[dict[str, Any]]:
    """Plain variables, and variables holding the path of a mounted secret file (the value stays in the Secret)."""
    env = {**plain, **{name: secret_file(key) for name, key in secret_files.items()}}
    return [{"name": k, "value": v} for k, v in sorted(env.items())]


def secret_volume(secret_name: str, keys: Iterable[str]) -> dict[str, Any]:
    """Only the named keys of the Secret, readable by the owner and the pod's fsGroup, nobody else."""
    items = [{"key": key, "path": key} for key in sorted(set(keys))]
    return {"name": SECRETS_VOLUME, "secret": {"secretName": secret_name, "items": items, "defaultMode": 0o440}}


def topology_spread(name: str) -> list[dict[str, Any]]:
    """Replicas spread over zones first, then nodes, so one zone or node failing leaves replicas running."""
    return [
        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": when, "labelSelector": {"matchLabels": {NAME_LABEL: name}}}
        for key, when in (("topology.kubernetes.io/zone", "DoNotSchedule"), ("kubernetes.io/hostname", "ScheduleAnyway"))
    ]
