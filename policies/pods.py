"""Where the pod template sits in each workload kind, and how images are spelled."""
from __future__ import annotations

from fnmatch import fnmatch
from typing import Any, Iterable

from policies.values import get

# Resource type -> (Kubernetes kind, path from the inputs to the pod spec): every built-in kind that
# carries a pod spec or pod template. A PodTemplate runs nothing itself, but whatever instantiates it
# runs exactly that pod, so it is judged like the rest.
WORKLOADS = {
    "kubernetes:core/v1:Pod": ("Pod", ("spec",)),
    "kubernetes:core/v1:PodTemplate": ("PodTemplate", ("template", "spec")),
    "kubernetes:core/v1:ReplicationController": ("ReplicationController", ("spec", "template", "spec")),
    "kubernetes:apps/v1:Deployment": ("Deployment", ("spec", "template", "spec")),
    "kubernetes:apps/v1:StatefulSet": ("StatefulSet", ("spec", "template", "spec")),
    "kubernetes:apps/v1:DaemonSet": ("DaemonSet", ("spec", "template", "spec")),
    "kubernetes:apps/v1:ReplicaSet": ("ReplicaSet", ("spec", "template", "spec")),
    "kubernetes:batch/v1:Job": ("Job", ("spec", "template", "spec")),
    "kubernetes:batch/v1:CronJob": ("CronJob", ("spec", "jobTemplate", "spec", "template", "spec")),
}
NAMESPACE = "kubernetes:core/v1:Namespace"
PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
# Kinds the workload catalogue also judges that carry no pod spec, by resource type.
OTHER_KINDS = {"Namespace": NAMESPACE, "PersistentVolume": PERSISTENT_VOLUME, "ServiceAccount": SERVICE_ACCOUNT}


def types_of_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = set(kinds)
    return (tuple(t for t, (kind, _) in WORKLOADS.items() if kind in kinds)
            + tuple(t for kind, t in OTHER_KINDS.items() if kind in kinds))


def pod_labels(resource_type: str, props: Any) -> Any:
    path = WORKLOADS[resource_type][1]
    if resource_type == "kubernetes:core/v1:Pod":
        return get(props, "metadata", "labels", default={})
    return get(props, *path[:-1], "metadata", "labels", default={})


def split_image(image: str) -> tuple[str, str, str | None, str | None]:
    """(registry, repository, tag, digest); Docker Hub images get registry docker.io."""
    rest, _, digest = image.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = "docker.io", rest
    name, colon, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    return registry, name, (tag or None), (digest or None)


def from_registry(image: str, allowed: str) -> bool:
    """Whether `image` comes from `allowed` (a host or host/path, globs within one segment only).

    Segment by segment, so a wildcard host such as *.dkr.ecr.*.amazonaws.com cannot be matched by
    evil.example/x.dkr.ecr.y.amazonaws.com/app: a `*` never spans a `/`.
    """
    wanted = allowed.rstrip("/").split("/")
    parts = image.split("@")[0].split("/")
    if len(parts) <= len(wanted):
        return False  # the image must name a repository below the allowed prefix
    return all(fnmatch(part, pattern) for part, pattern in zip(parts, wanted))


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch(value, p) for p in patterns)
