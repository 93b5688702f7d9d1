"""k8s-network-policy-no-open-ingress: pods are never reachable from the whole internet."""
import pytest

from policy_plans import UNKNOWN, assert_outcome, resource, run

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def policy(*peers):
    return {"metadata": {"name": "frontend", "namespace": "app"},
            "spec": {"podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": list(peers), "ports": [{"port": 3000}]}]}}


@pytest.mark.parametrize("peers,expected", [
    ([{"ipBlock": {"cidr": "10.0.96.0/22"}}], "pass"),
    ([{"podSelector": {"matchLabels": {"app": "edge"}}}], "pass"),
    ([{"ipBlock": {"cidr": "0.0.0.0/0"}}], "fail"),
    ([{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}], "fail"),
    ([{"ipBlock": {"cidr": "::/0"}}], "fail"),
    ([{"ipBlock": {"cidr": UNKNOWN}}], "unknown"),
])
def test_ingress_from_everywhere_is_refused(peers, expected):
    assert_outcome(run(resource(NETWORK_POLICY, "frontend", policy(*peers))), "k8s-network-policy-no-open-ingress", expected)
