"""NetworkPolicies from the call graph: the full connectivity matrix, evaluated on what the program registers."""
from __future__ import annotations

import itertools

import pytest

from components.network_policies import Endpoint, may_reach
from k8s_plan import network_policies
from preflight.engine import run_program
from stack_variants import stack_variant

APP = "app"
DNS = Endpoint("kube-system", {"k8s-app": "kube-dns"}, "10.0.40.10")
LOAD_BALANCER_IP = "10.0.97.20"  # inside the dev frontend's ingressCidrs (public subnets)
ELSEWHERE_IP = "203.0.113.9"
BACKUP = "db-backup"

DEFAULT_EDGES = {("frontend", "backend", 5000), ("backend", "postgres", 5432), (BACKUP, "postgres", 5432)}
MORE_SERVICES = {
    "services.cache": {
        "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/cache@sha256:" + "c" * 64,
        "port": 6379, "replicas": 1,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "calls": [],
    },
    "services.worker": {
        "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/worker@sha256:" + "d" * 64,
        "port": 8080, "replicas": 2,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "calls": ["postgres", "cache"],
    },
    "services.backend.calls": ["postgres", "cache"],
}
MORE_EDGES = DEFAULT_EDGES | {("worker", "postgres", 5432), ("worker", "cache", 6379), ("backend", "cache", 6379)}


def pod(name: str, index: int) -> Endpoint:
    return Endpoint(APP, {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "devsecops-dev"}, f"10.0.1.{index + 10}")


@pytest.fixture(scope="module")
def default_policies():
    return network_policies(run_program(stack="dev"))


@pytest.fixture(scope="module")
def more_policies(tmp_path_factory):
    return network_policies(run_program(stack_file=stack_variant(tmp_path_factory.mktemp("more"), changes=MORE_SERVICES)))


def assert_matrix(policies, edges):
    names = sorted({n for e in edges for n in e[:2]})
    pods = {name: pod(name, i) for i, name in enumerate(names)}
    ports = sorted({e[2] for e in edges} | {53, 443, 80})
    checked = 0
    for (source, target), port in itertools.product(itertools.permutations(names, 2), ports):
        expected = (source, target, port) in edges
        assert may_reach(policies, pods[source], pods[target], port) is expected, (source, target, port)
        checked += 1
    for name in names:
        assert all(may_reach(policies, pods[name], DNS, 53, protocol) for protocol in ("UDP", "TCP")), name
        assert not may_reach(policies, pods[name], DNS, 5432), name
    assert checked == len(names) * (len(names) - 1) * len(ports)


def test_default_services_matrix(default_policies):
    assert_matrix(default_policies, DEFAULT_EDGES)


def test_more_services_matrix(more_policies):
    assert_matrix(more_policies, MORE_EDGES)


def test_only_the_frontend_is_reachable_from_its_configured_networks(default_policies):
    load_balancer, elsewhere = Endpoint(None, ip=LOAD_BALANCER_IP), Endpoint(None, ip=ELSEWHERE_IP)
    assert may_reach(default_policies, load_balancer, pod("frontend", 0), 3000)
    assert not may_reach(default_policies, load_balancer, pod("frontend", 0), 5000)
    assert not may_reach(default_policies, elsewhere, pod("frontend", 0), 3000)
    for name in ("backend", "postgres", BACKUP):
        assert not may_reach(default_policies, load_balancer, pod(name, 1), 5432 if name == "postgres" else 5000)


def test_only_the_backup_job_reaches_https_outside(default_policies):
    s3 = Endpoint(None, ip="52.218.0.1")
    assert may_reach(default_policies, pod(BACKUP, 0), s3, 443)
    assert not may_reach(default_policies, pod(BACKUP, 0), s3, 80)
    for name in ("frontend", "backend", "postgres"):
        assert not may_reach(default_policies, pod(name, 0), s3, 443), name


def test_pods_of_other_namespaces_cannot_reach_the_app(default_policies):
    intruder = Endpoint("argocd", {"app.kubernetes.io/name": "backend"}, "10.0.2.5")
    assert not may_reach(default_policies, intruder, pod("backend", 0), 5000)
    assert not may_reach(default_policies, intruder, pod("postgres", 0), 5432)


def test_every_stack_namespace_denies_by_default_and_allows_dns(default_policies):
    by_namespace: dict[str, set[str]] = {}
    for policy in default_policies:
        by_namespace.setdefault(policy["metadata"]["namespace"], set()).add(policy["metadata"]["name"])
    assert set(by_namespace) == {"app", "kyverno", "argocd", "external-secrets"}
    for namespace, names in by_namespace.items():
        assert {"default-deny", "allow-dns"} <= names, namespace
        deny = next(p for p in default_policies if p["metadata"] == {"name": "default-deny", "namespace": namespace})
        assert deny["spec"] == {"podSelector": {}, "ingress": [], "egress": [], "policyTypes": ["Ingress", "Egress"]}


def test_webhooks_are_reachable_from_the_control_plane_only_on_their_ports(default_policies):
    control_plane = Endpoint(None, ip="10.0.33.4")  # an EKS ENI in a private subnet of the VPC
    kyverno = Endpoint("kyverno", {"app.kubernetes.io/component": "admission-controller"}, "10.0.3.4")
    assert may_reach(default_policies, control_plane, kyverno, 9443)
    assert not may_reach(default_policies, control_plane, kyverno, 8000)
    assert not may_reach(default_policies, Endpoint(None, ip=ELSEWHERE_IP), kyverno, 9443)
    assert not may_reach(default_policies, kyverno, pod("postgres", 0), 5432)
