"""Namespaces and NetworkPolicies: default deny per namespace, every workload's paths declared."""
from __future__ import annotations

from typing import Any

from pulumi_policy import Severity

from policies.frameworks import cis_eks, cis_k8s, nist
from policies.pods import NAMESPACE, WORKLOADS, pod_labels
from policies.rule import CANNOT_VERIFY, Finding, Rule, each_resource
from policies.stack import of_type, referenced
from policies.rules.vpc import is_everywhere
from policies.values import UnknownValueError, as_list, get

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
TAGS = ("kubernetes", "network")


def namespace_key(resource: Any) -> str:
    """A namespace's identity: its name, or the URN of the stack's Namespace it was computed from.

    Raises UnknownValueError when neither can be told at preview.
    """
    if resource.resource_type == NAMESPACE:
        try:
            return get(resource.props, "metadata", "name") or resource.urn
        except UnknownValueError:
            return resource.urn
    try:
        return get(resource.props, "metadata", "namespace") or "default"
    except UnknownValueError:
        sources = referenced(resource, "metadata", NAMESPACE)
        if len(sources) == 1:
            return namespace_key(sources[0])
        raise


def _empty_selector(policy: Any) -> bool:
    selector = get(policy.props, "spec", "podSelector", default={})
    return not get(selector, "matchLabels") and not get(selector, "matchExpressions")


def _denies(policy: Any, direction: str) -> bool:
    """An empty-selector policy of this direction with no allow rules denies that direction."""
    types = as_list(get(policy.props, "spec", "policyTypes"))
    if direction not in types and not (direction == "Ingress" and not types):
        return False
    return _empty_selector(policy) and not get(policy.props, "spec", direction.lower())


def _default_deny(args, config):
    policies = of_type(args.resources, NETWORK_POLICY)
    namespaces: dict[str, Any] = {}
    for workload in of_type(args.resources, *WORKLOADS):
        try:
            namespaces.setdefault(namespace_key(workload), workload)
        except UnknownValueError as e:
            yield Finding(workload.urn, f"{CANNOT_VERIFY}: {e.message}")
    for key, workload in namespaces.items():
        try:
            in_namespace = [p for p in policies if namespace_key(p) == key]
            missing = [d for d in ("Ingress", "Egress") if not any(_denies(p, d) for p in in_namespace)]
        except UnknownValueError as e:
            yield Finding(workload.urn, f"{CANNOT_VERIFY}: {e.message}")
            continue
        if missing:
            yield Finding(workload.urn, f"namespace {key} has workloads but no default-deny "
                                        f"NetworkPolicy for {' and '.join(missing)}")


def _selects(selector: Any, labels: Any) -> bool:
    for key, value in (get(selector, "matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in get(selector, "matchExpressions") or []:
        key, operator = get(expression, "key"), get(expression, "operator")
        values = list(get(expression, "values") or [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _workload_selected(args, config):
    # Selecting policies grouped by namespace once, so the rule stays linear in the stack's size.
    by_namespace: dict[str, list[Any]] = {}
    unreadable: list[Finding] = []
    for policy in of_type(args.resources, NETWORK_POLICY):
        try:
            if not _empty_selector(policy):
                by_namespace.setdefault(namespace_key(policy), []).append(policy)
        except UnknownValueError as e:
            unreadable.append(Finding(policy.urn, f"{CANNOT_VERIFY}: {e.message}"))

    def check(workload):
        labels = dict(pod_labels(workload.resource_type, workload.props) or {})
        candidates = by_namespace.get(namespace_key(workload), [])
        if not any(_selects(get(p.props, "spec", "podSelector"), labels) for p in candidates):
            yield "no NetworkPolicy selects this workload's pods to declare their allowed paths"
    yield from unreadable
    yield from each_resource(of_type(args.resources, *WORKLOADS), check)


def _open_ip_block(args, config):
    """Ingress peers that are the whole internet; `except` carve-outs do not make them narrow."""
    for i, rule in enumerate(get(args.props, "spec", "ingress", default=[])):
        for peer in get(rule, "from", default=[]):
            cidr = get(peer, "ipBlock", "cidr")
            if cidr is not None and is_everywhere(cidr):
                yield f"ingress rule {i} admits {cidr}: every address on the internet may reach the selected pods"


RULES = (
    Rule(
        name="k8s-network-policy-no-open-ingress",
        description="NetworkPolicies admit no ingress from the whole internet (ipBlock 0.0.0.0/0 or ::/0); "
                    "only the load balancer's networks.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.3.2"), nist("4.4.2")),
        tags=TAGS,
        remediation="Set the service's ingressCidrs to the networks of the load balancer in front of it "
                    "(its subnets), not 0.0.0.0/0.",
        url="https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
        check=_open_ip_block,
        resource_types=(NETWORK_POLICY,),
    ),
    Rule(
        name="k8s-default-deny-network-policy",
        description="Every namespace with workloads has a default-deny NetworkPolicy for ingress and egress.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.3.2"), cis_k8s("5.3.2"), nist("4.4.2")),
        tags=TAGS,
        remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules.",
        url="https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies",
        check=_default_deny,
    ),
    Rule(
        name="k8s-workload-network-policy",
        description="Every workload is selected by a NetworkPolicy that declares its allowed paths.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("4.3.2"), nist("4.4.2")),
        tags=TAGS,
        remediation="Declare the service's callers and callees; the app component derives one "
                    "NetworkPolicy per service from them.",
        url="https://kubernetes.io/docs/concepts/services-networking/network-policies/",
        check=_workload_selected,
    ),
)
