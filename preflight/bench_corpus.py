"""A mixed corpus of Kubernetes manifests for `make bench`, one manifest per file, built offline.

The seeds are what the platform really deploys (the stacks' manifests from `check --manifests-out`)
and hand-written manifests of the common kinds, in the shapes public policy-test suites use. The
corpus is made of varied copies of the seeds: renamed, moved to other namespaces, with other
images, replicas and labels, and with zero or more security controls broken the way those suites
break them (privileged, root, host namespaces, :latest, no limits, added capabilities, a plaintext
password, ...). A seeded random generator chooses, so one seed always builds the same files.

    python -m preflight.bench_corpus DIR [--count N] [--seed S] [--exported DIR ...]
"""
from __future__ import annotations

import argparse
import copy
import random
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import yaml

IMAGES = ("nginx:1.25.3", "docker.io/library/redis:7.2", "ghcr.io/example/api:v2.4.1", "busybox",
          "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/backend@sha256:" + "1" * 64,
          "public.ecr.aws/docker/library/postgres:16.2", "quay.io/prometheus/node-exporter:v1.7.0")
NAMESPACES = ("app", "web", "data", "monitoring", "batch", "default")


def _container(name: str, image: str, port: int | None = 8080) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name, "image": image,
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": 10001, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }
    if port:
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        container["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10}
        container["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": port}, "initialDelaySeconds": 5}
    return container


def _pod_spec(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"automountServiceAccountToken": False, "serviceAccountName": "app",
            "securityContext": {"runAsNonRoot": True, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": list(containers)}


def _template(app: str, *containers: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"labels": {"app.kubernetes.io/name": app}}, "spec": _pod_spec(*containers)}


def _object(api_version: str, kind: str, name: str, namespace: str | None = "app", **body: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/name": name}}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def fixtures() -> list[dict[str, Any]]:
    """Hand-written manifests of the kinds a cluster holds. Pods run restricted as written; images
    come from public registries and namespaces carry no labels, as in public policy tests."""
    web = _container("web", IMAGES[0])
    selector = {"matchLabels": {"app.kubernetes.io/name": "web"}}
    return [
        _object("apps/v1", "Deployment", "web", spec={"replicas": 3, "selector": selector,
                                                      "template": _template("web", web)}),
        _object("apps/v1", "StatefulSet", "cache", spec={
            "serviceName": "cache", "replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "cache"}},
            "template": _template("cache", _container("redis", IMAGES[1], 6379)),
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}),
        _object("apps/v1", "DaemonSet", "node-exporter", "monitoring", spec={
            "selector": {"matchLabels": {"app.kubernetes.io/name": "node-exporter"}},
            "template": _template("node-exporter", _container("exporter", IMAGES[6], 9100))}),
        _object("batch/v1", "Job", "migrate", spec={"backoffLimit": 2, "template": {
            "metadata": {"labels": {"app.kubernetes.io/name": "migrate"}},
            "spec": {**_pod_spec(_container("migrate", IMAGES[2], None)), "restartPolicy": "Never"}}}),
        _object("batch/v1", "CronJob", "report", "batch", spec={"schedule": "0 3 * * *", "jobTemplate": {"spec": {
            "template": {"metadata": {"labels": {"app.kubernetes.io/name": "report"}},
                         "spec": {**_pod_spec(_container("report", IMAGES[2], None)), "restartPolicy": "OnFailure"}}}}}),
        _object("v1", "Pod", "debug", spec=_pod_spec(_container("shell", IMAGES[3], None))),
        _object("apps/v1", "ReplicaSet", "web-legacy", spec={"replicas": 2, "selector": selector,
                                                             "template": _template("web", web)}),
        _object("v1", "Service", "web", spec={"type": "ClusterIP", "selector": {"app.kubernetes.io/name": "web"},
                                              "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}),
        _object("networking.k8s.io/v1", "Ingress", "web", spec={"ingressClassName": "alb", "rules": [{
            "host": "web.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                "service": {"name": "web", "port": {"number": 80}}}}]}}]}),
        _object("v1", "ConfigMap", "web-settings", data={"LOG_LEVEL": "info", "FEATURES": "a,b"}),
        _object("v1", "ServiceAccount", "app", automountServiceAccountToken=False),
        _object("rbac.authorization.k8s.io/v1", "Role", "reader", rules=[
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]),
        _object("rbac.authorization.k8s.io/v1", "RoleBinding", "reader", roleRef={
            "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            subjects=[{"kind": "ServiceAccount", "name": "app", "namespace": "app"}]),
        _object("networking.k8s.io/v1", "NetworkPolicy", "default-deny", spec={
            "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _object("networking.k8s.io/v1", "NetworkPolicy", "web-ingress", spec={
            "podSelector": selector, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}],
                         "ports": [{"port": 8080, "protocol": "TCP"}]}]}),
        _object("policy/v1", "PodDisruptionBudget", "web", spec={"minAvailable": 1, "selector": selector}),
        _object("autoscaling/v2", "HorizontalPodAutoscaler", "web", spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2, "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": 70}}}]}),
        _object("v1", "Namespace", "app", None),
        _object("v1", "PersistentVolumeClaim", "uploads", spec={
            "accessModes": ["ReadWriteOnce"], "storageClassName": "gp3-encrypted",
            "resources": {"requests": {"storage": "5Gi"}}}),
        _object("v1", "LimitRange", "defaults", spec={"limits": [{"type": "Container",
                                                                  "default": {"cpu": "500m", "memory": "256Mi"}}]}),
    ]


# --- Ways of breaking a control, as policy-test suites write their failing cases ----------------

def _containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found, pending = [], [manifest]
    while pending:
        node = pending.pop()
        if isinstance(node.get("containers"), list):
            found += [c for c in node["containers"] if isinstance(c, dict)]
        pending += [v for v in node.values() if isinstance(v, dict)]
    return found


def _pod(manifest: dict[str, Any]) -> dict[str, Any] | None:
    pending = [manifest]
    while pending:
        node = pending.pop()
        if isinstance(node.get("containers"), list):
            return node
        pending += [v for v in node.values() if isinstance(v, dict)]
    return None


Change = Callable[[dict[str, Any]], None]


def _each_container(change: Change) -> Change:
    def apply(manifest: dict[str, Any]) -> None:
        for container in _containers(manifest):
            change(container)
    return apply


def _in_pod(change: Change) -> Change:
    def apply(manifest: dict[str, Any]) -> None:
        pod = _pod(manifest)
        if pod is not None:
            change(pod)
    return apply


def _security(**values: Any) -> Change:
    return lambda container: container.setdefault("securityContext", {}).update(values)


BREAKS: dict[str, Change] = {
    "privileged": _each_container(_security(privileged=True)),
    "privilege escalation": _each_container(_security(allowPrivilegeEscalation=True)),
    "root": _each_container(_security(runAsNonRoot=False, runAsUser=0)),
    "writable root": _each_container(_security(readOnlyRootFilesystem=False)),
    "added capabilities": _each_container(_security(capabilities={"add": ["NET_ADMIN", "SYS_ADMIN"]})),
    "unconfined seccomp": _each_container(_security(seccompProfile={"type": "Unconfined"})),
    "latest tag": _each_container(lambda c: c.update(image=re.split(r"[:@]", c.get("image", "app"))[0] + ":latest")),
    "no tag": _each_container(lambda c: c.update(image="nginx")),
    "no limits": _each_container(lambda c: c.pop("resources", None)),
    "no probes": _each_container(lambda c: (c.pop("livenessProbe", None), c.pop("readinessProbe", None))),
    "plaintext password": _each_container(lambda c: c.setdefault("env", []).append(
        {"name": "DB_PASSWORD", "value": "hunter2"})),
    "host port": _each_container(lambda c: c.update(ports=[{"containerPort": 8080, "hostPort": 8080}])),
    "host namespaces": _in_pod(lambda p: p.update(hostNetwork=True, hostPID=True, hostIPC=True)),
    "host path": _in_pod(lambda p: p.setdefault("volumes", []).append(
        {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}})),
    "token mounted": _in_pod(lambda p: p.update(automountServiceAccountToken=True)),
    "default service account": _in_pod(lambda p: p.pop("serviceAccountName", None)),
}


def _vary(seed: dict[str, Any], index: int, rng: random.Random) -> dict[str, Any]:
    """A copy of `seed` under a new name, maybe elsewhere and with another image, maybe broken."""
    manifest = copy.deepcopy(seed)
    metadata = manifest.setdefault("metadata", {})
    metadata["name"] = f"{metadata.get('name') or manifest.get('kind', 'object').lower()}-{index:05d}"
    if "namespace" in metadata and rng.random() < 0.5:
        metadata["namespace"] = rng.choice(NAMESPACES)
    labels = metadata.setdefault("labels", {})
    if isinstance(labels, dict):
        labels["team"] = rng.choice(("payments", "search", "platform", "data"))
    for container in _containers(manifest):
        if rng.random() < 0.4:
            container["image"] = rng.choice(IMAGES)
    spec = manifest.get("spec")
    if isinstance(spec, dict) and "replicas" in spec:
        spec["replicas"] = rng.randint(1, 5)
    if _pod(manifest) is not None:
        for name in rng.sample(sorted(BREAKS), k=rng.choice((0, 0, 1, 1, 2, 3))):
            BREAKS[name](manifest)
    return manifest


def exported(directories: Iterable[Path]) -> list[dict[str, Any]]:
    """The manifests `check --manifests-out` wrote into each directory, in file-name order."""
    return [yaml.safe_load(path.read_text()) for directory in directories for path in sorted(Path(directory).glob("*.yaml"))]


def build(directory: Path, count: int, deployed: Sequence[dict[str, Any]] = (), seed: int = 0) -> list[Path]:
    """Writes `count` manifests into `directory`: the deployed manifests and the fixtures as they are
    first, then varied copies, half of them of fixtures (a stack holds mostly policies and network
    policies; a cluster's manifests are mostly workloads and their companions)."""
    rng = random.Random(seed)
    written_by_hand = fixtures()
    seeds = [*deployed, *written_by_hand]
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count):
        if index < len(seeds):
            source = seeds[index]
        else:
            source = _vary(rng.choice(written_by_hand if not deployed or rng.random() < 0.5 else deployed), index, rng)
        kind = str(source.get("kind", "object")).lower()
        path = directory / f"{index:05d}-{kind}.yaml"
        path.write_text(yaml.safe_dump(source, sort_keys=False))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exported", type=Path, action="append", default=[],
                        help="a directory written by `check --manifests-out` (repeatable)")
    args = parser.parse_args(argv)
    written = build(args.directory, args.count, exported(args.exported), args.seed)
    print(f"{len(written)} manifests in {args.directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
