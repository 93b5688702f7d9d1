"""Ingress: TLS covers every rule host, and every rule names one exact host."""
import pytest

from policy_plans import UNKNOWN, assert_outcome, messages, resource, run
from test_wrong_types import assert_cannot_judge

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
BACKEND = {"service": {"name": "frontend", "port": {"number": 8080}}}


def ingress(hosts: list, tls: list | None = None, **spec) -> dict:
    rules = [{**({"host": host} if host is not None else {}),
              "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": BACKEND}]}} for host in hosts]
    return {"metadata": {"name": "web", "namespace": "app"},
            "spec": {"rules": rules, **({"tls": tls} if tls is not None else {}), **spec}}


@pytest.mark.parametrize("hosts,tls,expected", [
    (["shop.example.com"], [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}], "pass"),
    (["a.example.com", "b.example.com"], [{"hosts": ["*.example.com"]}], "pass"),  # a wildcard certificate
    (["shop.example.com"], [{"secretName": "default-tls"}], "pass"),  # no hosts: the controller's default, every host
    (["shop.example.com"], None, "fail"),
    (["shop.example.com"], [], "fail"),
    (["shop.example.com", "admin.example.com"], [{"hosts": ["shop.example.com"]}], "fail"),
    (["a.b.example.com"], [{"hosts": ["*.example.com"]}], "fail"),  # a wildcard covers one label only
    (["example.com"], [{"hosts": ["*.example.com"]}], "fail"),
    (["shop.example.com"], [{"hosts": UNKNOWN}], "unknown"),
])
def test_every_rule_host_is_served_over_tls(hosts, tls, expected):
    assert_outcome(run(resource(INGRESS, "web", ingress(hosts, tls))), "k8s-ingress-tls", expected)


def test_the_tls_message_names_the_uncovered_host():
    document = ingress(["shop.example.com", "admin.example.com"], [{"hosts": ["shop.example.com"]}])
    found = messages(run(resource(INGRESS, "web", document)), "k8s-ingress-tls")
    assert [m.splitlines()[-1] for m in found] == [
        "spec.rules[1].host admin.example.com is in no spec.tls[].hosts entry: it is served over plain HTTP"]


TLS = [{"hosts": ["*.example.com"]}]


@pytest.mark.parametrize("document,expected", [
    (ingress(["shop.example.com"], TLS), "pass"),
    (ingress(["shop.example.com", None], TLS), "fail"),
    (ingress([""], TLS), "fail"),
    (ingress(["*.example.com"], TLS), "fail"),
    (ingress(["shop.example.com"], TLS, defaultBackend=BACKEND), "fail"),
    (ingress(["shop.example.com"], TLS, defaultBackend=UNKNOWN), "fail"),  # presence: it will answer
    (ingress([UNKNOWN], TLS), "unknown"),
])
def test_every_rule_names_an_exact_host(document, expected):
    assert_outcome(run(resource(INGRESS, "web", document)), "k8s-ingress-explicit-hosts", expected)


@pytest.mark.parametrize("rule,document,names", [
    ("k8s-ingress-tls", {"spec": {"tls": {"hosts": ["a.example.com"]}}}, "spec.tls is an object, not a list"),
    ("k8s-ingress-tls", {"spec": {"tls": [{"hosts": "a.example.com"}]}}, "spec.tls[0].hosts is a string"),
    ("k8s-ingress-explicit-hosts", {"spec": {"rules": [{"host": 443}]}}, "spec.rules[0].host is 443, not a string"),
    ("k8s-ingress-explicit-hosts", {"spec": {"rules": "all"}}, "spec.rules is a string, not a list"),
])
def test_a_field_of_the_wrong_type_cannot_be_judged(rule, document, names):
    assert_cannot_judge(run(resource(INGRESS, "web", document)), rule, names)
