"""One CIDR judgement in the pack: the internet in halves, quarters, IPv6 or IPv4-mapped IPv6, or through
a prefix broader than the configured minimum, is open, in NetworkPolicies, the EKS public endpoint and
security groups alike."""
import pytest

from policy_plans import UNKNOWN, assert_outcome, changed, messages, resource, run
from test_aws_resource_rules import GOOD, SG, SG_RULE
from test_eks_cluster_rules import GOOD_CHILD, child_plan

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
HALVES = ["0.0.0.0/1", "128.0.0.0/1"]
QUARTERS = ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]
IPV6_HALVES = ["::/1", "8000::/1"]
MAPPED = ["::ffff:0.0.0.0/96"]
EVERY_SLASH_8 = [f"{i}.0.0.0/8" for i in range(256)]  # each at the minimum prefix, together everything

OPEN = [
    pytest.param(HALVES, id="halves"),
    pytest.param(QUARTERS, id="quarters"),
    pytest.param(IPV6_HALVES, id="ipv6-halves"),
    pytest.param(MAPPED, id="ipv4-mapped-ipv6"),
    pytest.param(["10.0.0.0/7"], id="broader-than-slash-8"),
    pytest.param(["2001:db8::/31"], id="broader-than-slash-32"),
    pytest.param(EVERY_SLASH_8, id="every-slash-8"),
]
CLOSED = [
    pytest.param(["10.0.0.0/8"], id="slash-8"),
    pytest.param(EVERY_SLASH_8[1:], id="all-but-one-slash-8"),
    pytest.param(["2001:db8::/32", "::ffff:10.0.0.0/104"], id="ipv6-and-mapped-private"),
]


# --- NetworkPolicies ------------------------------------------------------------------------------

def network_policy(*rules: list[str]) -> dict:
    """A policy with one ingress rule per list of CIDRs."""
    return {"metadata": {"name": "edge", "namespace": "app"},
            "spec": {"podSelector": {"matchLabels": {"app": "edge"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": [{"port": 3000}]}
                                 for cidrs in rules]}}


@pytest.mark.parametrize("cidrs", OPEN)
def test_network_policy_ingress_open_to_the_internet_fails(cidrs):
    evaluation = run(resource(NETWORK_POLICY, "edge", network_policy(cidrs)))
    assert_outcome(evaluation, "k8s-network-policy-no-open-ingress", "fail")


@pytest.mark.parametrize("cidrs", CLOSED)
def test_network_policy_ingress_from_narrow_networks_passes(cidrs):
    evaluation = run(resource(NETWORK_POLICY, "edge", network_policy(cidrs)))
    assert_outcome(evaluation, "k8s-network-policy-no-open-ingress", "pass")


def test_networks_in_two_ingress_rules_are_judged_together():
    evaluation = run(resource(NETWORK_POLICY, "edge", network_policy(EVERY_SLASH_8[:128], EVERY_SLASH_8[128:])))
    [message] = messages(evaluation, "k8s-network-policy-no-open-ingress")
    assert "cover every IPv4 address" in message


def test_a_known_open_block_beside_an_unknown_one_fails_rather_than_cannot_be_verified():
    evaluation = run(resource(NETWORK_POLICY, "edge", network_policy(["0.0.0.0/0", UNKNOWN])))
    assert_outcome(evaluation, "k8s-network-policy-no-open-ingress", "fail")


def test_network_policy_minimum_prefix_comes_from_config():
    edge = resource(NETWORK_POLICY, "edge", network_policy(["10.0.0.0/12"]))
    config = {"k8s-network-policy-no-open-ingress": {"enforcementLevel": "mandatory", "minPrefixV4": 16}}
    assert_outcome(run(edge), "k8s-network-policy-no-open-ingress", "pass")
    assert_outcome(run(edge, config=config), "k8s-network-policy-no-open-ingress", "fail")


# --- EKS public endpoint ---------------------------------------------------------------------------

def public_endpoint(cidrs: list[str], allowed: list[str], **config) -> list:
    inputs = changed(changed(GOOD_CHILD, "vpcConfig.endpointPublicAccess", True), "vpcConfig.publicAccessCidrs", cidrs)
    rule_config = {"allowPublicEndpoint": True, "allowedPublicCidrs": allowed, **config}
    return messages(run(*child_plan(inputs), config={"eks-public-endpoint-restricted": rule_config}),
                    "eks-public-endpoint-restricted")


@pytest.mark.parametrize("cidrs", OPEN)
def test_public_endpoint_open_to_the_internet_fails_even_where_config_allows_those_cidrs(cidrs):
    found = public_endpoint(cidrs, allowed=cidrs)
    assert any("open to the internet" in m for m in found), found


@pytest.mark.parametrize("cidrs", CLOSED)
def test_public_endpoint_to_allowed_narrow_networks_passes(cidrs):
    assert public_endpoint(cidrs, allowed=cidrs) == []


def test_public_endpoint_minimum_prefix_comes_from_config():
    assert public_endpoint(["198.51.0.0/16"], allowed=["198.51.0.0/16"]) == []
    found = public_endpoint(["198.51.0.0/16"], allowed=["198.51.0.0/16"], minPrefixV4=24)
    assert found and "'198.51.0.0/16' is broader than /24" in found[0]


def test_public_endpoint_outside_the_allowed_cidrs_still_fails():
    assert public_endpoint(["203.0.113.0/24"], allowed=["198.51.100.0/24"]) != []


# --- Security groups -------------------------------------------------------------------------------

def security_group(*rules: tuple[int, list[str]], field: str = "cidrBlocks") -> dict:
    return {"ingress": [{"protocol": "tcp", "fromPort": port, "toPort": port, field: cidrs} for port, cidrs in rules]}


@pytest.mark.parametrize("cidrs", OPEN)
def test_security_group_open_to_the_internet_on_a_port_not_allowed_fails(cidrs):
    ipv4 = [c for c in cidrs if ":" not in c]
    ipv6 = [c for c in cidrs if ":" in c]
    inputs = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ipv4, "ipv6CidrBlocks": ipv6}]}
    assert_outcome(run(resource(SG, "sg", inputs)), "vpc-no-open-ingress", "fail")


@pytest.mark.parametrize("cidrs", OPEN)
def test_security_group_open_to_the_internet_on_the_load_balancer_port_passes(cidrs):
    ipv4 = [c for c in cidrs if ":" not in c]
    ipv6 = [c for c in cidrs if ":" in c]
    inputs = {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ipv4, "ipv6CidrBlocks": ipv6}]}
    assert_outcome(run(resource(SG, "sg", inputs)), "vpc-no-open-ingress", "pass")


def test_security_group_networks_on_two_rules_are_judged_together():
    evaluation = run(resource(SG, "sg", security_group((22, EVERY_SLASH_8[:128]), (80, EVERY_SLASH_8[128:]))))
    [message] = messages(evaluation, "vpc-no-open-ingress")
    assert "its ingress rules together allow traffic beyond the allowed ports" in message
    assert "cover every IPv4 address" in message


def test_security_group_networks_on_allowed_and_other_ports_are_not_joined():
    # The load balancer port may be open to everyone; only the other rule's networks are judged.
    inputs = security_group((443, EVERY_SLASH_8[:128]), (22, EVERY_SLASH_8[128:]))
    assert_outcome(run(resource(SG, "sg", inputs)), "vpc-no-open-ingress", "pass")


def test_security_group_rule_resource_with_quarters_fails():
    inputs = changed(changed(GOOD[SG_RULE], "cidrBlocks", QUARTERS), "toPort", 8443)
    assert_outcome(run(resource(SG_RULE, "rule", inputs)), "vpc-no-open-ingress", "fail")


def test_security_group_minimum_prefix_comes_from_config():
    sg = resource(SG, "sg", security_group((22, ["10.0.0.0/12"])))
    config = {"vpc-no-open-ingress": {"enforcementLevel": "mandatory", "allowedPorts": [443], "minPrefixV4": 16}}
    assert_outcome(run(sg), "vpc-no-open-ingress", "pass")
    assert_outcome(run(sg, config=config), "vpc-no-open-ingress", "fail")
