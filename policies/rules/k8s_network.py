"""Namespaces and NetworkPolicies: default deny per namespace, every workload's paths declared."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.severity import Severity

from policies.frameworks import cis_eks, cis_k8s, nist, nist_800_53
from policies.pods import NAMESPACE, WORKLOADS, pod_labels
from policies.rule import UNDECIDED, Finding, Rule, each_resource, undecided
from policies.rules.cidrs import MIN_PREFIX_CONFIG, open_network_reasons
from policies.stack import of_type, referenced
from policies.values import UnknownValueError, WrongTypeError, get, mapping, objects, strings, text

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
TAGS = ("kubernetes", "network")
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def namespace_key(resource: Any) -> str:
    """A namespace's identity: its name, or the URN of the stack's Namespace it was computed from.

    Raises UnknownValueError when neither can be told at preview, WrongTypeError when the name is
    not a string.
    """
    if resource.resource_type == NAMESPACE:
        try:
            return text(resource.props, "metadata", "name") or resource.urn
        except UnknownValueError:
            return resource.urn
    try:
        return text(resource.props, "metadata", "namespace") or "default"
    except UnknownValueError:
        sources = referenced(resource, "metadata", NAMESPACE)
        if len(sources) == 1:
            return namespace_key(sources[0])
        raise


def _selector(policy: Any) -> Mapping:
    return mapping(policy.props, "spec", "podSelector")


def _empty_selector(policy: Any) -> bool:
    selector = _selector(policy)
    return not get(selector, "matchLabels") and not get(selector, "matchExpressions")


def _denies(policy: Any, direction: str) -> bool:
    """An empty-selector policy of this direction with no allow rules denies that direction."""
    types = strings(policy.props, "spec", "policyTypes")
    if direction not in types and not (direction == "Ingress" and not types):
        return False
    return _empty_selector(policy) and not get(policy.props, "spec", direction.lower())


def _default_deny(args, config):
    policies = of_type(args.resources, NETWORK_POLICY)
    namespaces: dict[str, Any] = {}
    for workload in of_type(args.resources, *WORKLOADS):
        try:
            namespaces.setdefault(namespace_key(workload), workload)
        except UNDECIDED as e:
            yield Finding(workload.urn, undecided(e))
    for key, workload in namespaces.items():
        try:
            in_namespace = [p for p in policies if namespace_key(p) == key]
            missing = [d for d in ("Ingress", "Egress") if not any(_denies(p, d) for p in in_namespace)]
        except UNDECIDED as e:
            yield Finding(workload.urn, undecided(e))
            continue
        if missing:
            yield Finding(workload.urn, f"namespace {key} has workloads but no default-deny "
                                        f"NetworkPolicy for {' and '.join(missing)}")


def _selects(policy: Any, labels: Mapping) -> bool:
    selector, at = _selector(policy), f"NetworkPolicy {policy.name} spec.podSelector"
    for key, value in mapping(selector, "matchLabels", at=at).items():
        if labels.get(key) != value:
            return False
    for place, expression in objects(selector, "matchExpressions", at=at):
        key, operator = text(expression, "key", at=place), text(expression, "operator", at=place)
        values = strings(expression, "values", at=place)
        if operator not in SELECTOR_OPERATORS:
            # Read as matching, an operator Kubernetes does not know would select every pod.
            raise WrongTypeError(f"{place}.operator", operator, f"one of {', '.join(SELECTOR_OPERATORS)}")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _labels(workload: Any) -> Mapping:
    labels = pod_labels(workload.resource_type, workload.props)
    if not isinstance(labels, Mapping):
        raise WrongTypeError("the pod template's metadata.labels", labels, "an object")
    return labels


def _workload_selected(args, config):
    # Selecting policies grouped by namespace once, so the rule stays linear in the stack's size.
    by_namespace: dict[str, list[Any]] = {}
    unreadable: list[Finding] = []
    for policy in of_type(args.resources, NETWORK_POLICY):
        try:
            if not _empty_selector(policy):
                by_namespace.setdefault(namespace_key(policy), []).append(policy)
        except UNDECIDED as e:
            unreadable.append(Finding(policy.urn, undecided(e)))

    def check(workload):
        labels = _labels(workload)
        candidates = by_namespace.get(namespace_key(workload), [])
        if not any(_selects(p, labels) for p in candidates):
            yield "no NetworkPolicy selects this workload's pods to declare their allowed paths"
    yield from unreadable
    yield from each_resource(of_type(args.resources, *WORKLOADS), check)


def _ingress_cidrs(props: Any) -> tuple[list[Any], UnknownValueError | None]:
    """Every ipBlock cidr of every ingress rule (with the first unknown one, if any): together they
    say who may reach the pods. `except` carve-outs do not narrow a block that is open."""
    cidrs: list[Any] = []
    unknown = None
    for place, rule in objects(props, "spec", "ingress"):
        for at, peer in objects(rule, "from", at=place):
            try:
                cidr = text(peer, "ipBlock", "cidr", at=at)
            except UnknownValueError as e:
                unknown = unknown or e
                continue
            if cidr is not None:
                cidrs.append(cidr)
    return cidrs, unknown


def _open_ip_block(args, config):
    cidrs, unknown = _ingress_cidrs(args.props)
    reasons = open_network_reasons(cidrs, config)
    for reason in reasons:
        yield f"ingress is open to the internet: {reason}"
    if unknown and not reasons:
        raise unknown  # the unknown block may be the one that opens it: cannot verify at preview


RULES = (
    Rule(
        name="k8s-network-policy-no-open-ingress",
        description="NetworkPolicies admit no ingress from the internet: no ipBlock broader than the "
                    "minimum prefix, and no set of ipBlocks that together cover every address.",
        severity=Severity.HIGH,
        controls=(nist_800_53("SC-7"),),
        tags=TAGS,
        remediation="Set the service's ingressCidrs to the networks of the load balancer in front of it "
                    "(its subnets), not 0.0.0.0/0.",
        url="https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource",
        check=_open_ip_block,
        resource_types=(NETWORK_POLICY,),
        config=MIN_PREFIX_CONFIG,
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
        controls=(cis_eks("4.3.2"),),
        tags=TAGS,
        remediation="Declare the service's callers and callees; the app component derives one "
                    "NetworkPolicy per service from them.",
        url="https://kubernetes.io/docs/concepts/services-networking/network-policies/",
        check=_workload_selected,
    ),
)
