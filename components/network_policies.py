"""NetworkPolicies derived from the declared call graph, and the evaluator that answers "may A reach B on port P".

Generation and evaluation are pure functions over plain manifests (camelCase dicts, as the API
server and the offline engine's records show them), so the connectivity matrix is tested from
exactly what the program registers. Every namespace the stack creates gets default deny for
ingress and egress, DNS to kube-dns, and then only what is declared.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

NAME_LABEL = "app.kubernetes.io/name"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
KUBE_DNS = {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}}
DNS_PORT = 53
HTTPS_PORT = 443
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class Edge:
    """`source` may open connections to `target` on `port` (TCP)."""

    source: str
    target: str
    port: int


@dataclass(frozen=True)
class CallGraph:
    """The app namespace's workloads (by name label), who may call whom, and what reaches them from outside."""

    namespace: str
    edges: tuple[Edge, ...]
    # Workload name -> (port, networks outside the cluster allowed to reach it on that port).
    external_ingress: Mapping[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    # Workloads that may open HTTPS connections to anywhere (AWS APIs such as S3 and STS).
    https_egress: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformAllowance:
    """A platform namespace (Kyverno, ArgoCD, ESO): its pods talk among themselves, reach HTTPS
    endpoints (the API server, AWS APIs, Git) and receive webhook calls from the control plane."""

    namespace: str
    webhook_ports: tuple[int, ...] = ()


def graph_from_services(namespace: str, services: Mapping[str, Any], clients: Sequence[Edge] = (), https_egress: Sequence[str] = ()) -> CallGraph:
    """The call graph of config's services (their `calls` and `ingressCidrs`) plus extra clients such as the backup job."""
    edges = [Edge(name, callee, services[callee].port) for name, service in services.items() for callee in service.calls]
    return CallGraph(
        namespace=namespace,
        edges=tuple(edges) + tuple(clients),
        external_ingress={name: (s.port, tuple(s.ingress_cidrs)) for name, s in services.items() if s.ingress_cidrs},
        https_egress=tuple(https_egress),
    )


def workload_selector(name: str) -> dict[str, Any]:
    return {"matchLabels": {NAME_LABEL: name}}


def _policy(namespace: str, name: str, pod_selector: dict, *, ingress: list | None = None, egress: list | None = None) -> dict[str, Any]:
    types, spec = [], {"podSelector": pod_selector}
    if ingress is not None:
        types.append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        types.append("Egress")
        spec["egress"] = egress
    spec["policyTypes"] = types
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


def baseline_policies(namespace: str) -> list[dict[str, Any]]:
    """Default deny both ways (empty rule lists), then DNS egress to kube-dns on UDP and TCP 53."""
    dns_peer = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: KUBE_DNS["namespace"]}},
        "podSelector": {"matchLabels": dict(KUBE_DNS["labels"])},
    }
    return [
        _policy(namespace, "default-deny", {}, ingress=[], egress=[]),
        _policy(namespace, "allow-dns", {}, egress=[{"to": [dns_peer], "ports": [{"protocol": "UDP", "port": DNS_PORT}, _tcp(DNS_PORT)]}]),
    ]


def call_graph_policies(graph: CallGraph) -> list[dict[str, Any]]:
    """Baseline plus, per workload, ingress from its declared callers and egress to its declared callees."""
    policies = baseline_policies(graph.namespace)
    workloads = sorted({e.source for e in graph.edges} | {e.target for e in graph.edges} | set(graph.external_ingress) | set(graph.https_egress))
    for name in workloads:
        ingress = [
            {"from": [{"podSelector": workload_selector(e.source)}], "ports": [_tcp(e.port)]}
            for e in graph.edges if e.target == name
        ]
        if name in graph.external_ingress:
            port, cidrs = graph.external_ingress[name]
            if cidrs:
                ingress.append({"from": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs], "ports": [_tcp(port)]})
        egress = [
            {"to": [{"podSelector": workload_selector(e.target)}], "ports": [_tcp(e.port)]}
            for e in graph.edges if e.source == name
        ]
        if name in graph.https_egress:
            egress.append({"to": [{"ipBlock": {"cidr": ANYWHERE}}], "ports": [_tcp(HTTPS_PORT)]})
        if ingress:
            policies.append(_policy(graph.namespace, f"{name}-ingress", workload_selector(name), ingress=ingress))
        if egress:
            policies.append(_policy(graph.namespace, f"{name}-egress", workload_selector(name), egress=egress))
    return policies


def platform_policies(allowance: PlatformAllowance, control_plane_cidrs: Sequence[str]) -> list[dict[str, Any]]:
    same_namespace = [{"podSelector": {}}]
    rules = [
        _policy(allowance.namespace, "allow-same-namespace", {}, ingress=[{"from": same_namespace}], egress=[{"to": same_namespace}]),
        _policy(allowance.namespace, "allow-https-egress", {}, egress=[{"to": [{"ipBlock": {"cidr": ANYWHERE}}], "ports": [_tcp(HTTPS_PORT)]}]),
    ]
    if allowance.webhook_ports:
        # The EKS control plane calls webhooks from its network interfaces in the cluster's subnets.
        rules.append(_policy(
            allowance.namespace, "allow-webhooks-from-control-plane", {},
            ingress=[{"from": [{"ipBlock": {"cidr": c}} for c in control_plane_cidrs], "ports": [_tcp(p) for p in allowance.webhook_ports]}],
        ))
    return baseline_policies(allowance.namespace) + rules


# --- evaluation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace and labels, optionally its IP) or, with namespace None, an address outside the cluster."""

    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None


def _matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        ok = {
            "In": present and labels[key] in values,
            "NotIn": not present or labels[key] not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not ok:
            return False
    return True


def _in_block(block: Mapping[str, Any], ip: str | None) -> bool:
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    if address not in ipaddress.ip_network(block["cidr"]):
        return False
    return not any(address in ipaddress.ip_network(c) for c in block.get("except") or [])


def _peer_matches(peer: Mapping[str, Any], policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        return _in_block(peer["ipBlock"], other.ip)
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], {NAMESPACE_NAME_LABEL: other.namespace}):
            return False
    elif other.namespace != policy_namespace:
        return False
    return _matches(peer.get("podSelector"), other.labels)


def _port_matches(ports: Iterable[Mapping[str, Any]] | None, port: int, protocol: str) -> bool:
    ports = list(ports or [])
    if not ports:
        return True
    return any(
        p.get("protocol", "TCP") == protocol and ("port" not in p or p["port"] <= port <= p.get("endPort", p["port"]))
        for p in ports
    )


def _direction_allows(policies: Sequence[Mapping[str, Any]], subject: Endpoint, other: Endpoint, port: int, protocol: str, kind: str) -> bool:
    """Whether policies of `kind` (Ingress/Egress) selecting `subject` let traffic with `other` through."""
    if subject.namespace is None:
        return True  # outside the cluster no NetworkPolicy applies
    rules_key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    selecting = [
        p for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and kind in p["spec"].get("policyTypes", ["Ingress"])
        and _matches(p["spec"].get("podSelector") or {}, subject.labels)
    ]
    if not selecting:
        return True  # a pod no policy selects is not isolated in that direction
    for policy in selecting:
        for rule in policy["spec"].get(rules_key) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(_peer_matches(peer, policy["metadata"]["namespace"], other) for peer in peers)
            if peer_ok and _port_matches(rule.get("ports"), port, protocol):
                return True
    return False


def may_reach(policies: Sequence[Mapping[str, Any]], source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP") -> bool:
    """True when the source's egress and the target's ingress both allow a connection on port/protocol."""
    return (
        _direction_allows(policies, source, target, port, protocol, "Egress")
        and _direction_allows(policies, target, source, port, protocol, "Ingress")
    )


# --- resources ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NetworkPoliciesArgs:
    policies: tuple[dict[str, Any], ...]
    provider: k8s.Provider
    # Namespaces and other resources the policies must follow (a policy needs its namespace).
    depends_on: tuple[pulumi.Resource, ...] = ()


class NetworkPolicies(pulumi.ComponentResource):
    """Registers generated NetworkPolicy manifests, one resource each, named namespace-policy."""

    def __init__(self, name: str, args: NetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:network:NetworkPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        self.policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{p['metadata']['namespace']}-{p['metadata']['name']}",
                metadata=p["metadata"], spec=p["spec"], opts=child,
            )
            for p in args.policies
        ]
        self.register_outputs({"policyNames": [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in args.policies]})
