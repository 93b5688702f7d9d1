"""Ingress (networking.k8s.io/v1): TLS for every host it serves, and only hosts it names."""
from __future__ import annotations

from typing import Iterable

from policies.severity import Severity

from policies.frameworks import cis_eks, nist_800_53
from policies.rule import Rule
from policies.values import is_set, objects, strings, text

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
TAGS = ("kubernetes", "network", "exposure")
URL = "https://kubernetes.io/docs/concepts/services-networking/ingress/"


def _rule_hosts(props) -> list[tuple[str, str | None]]:
    """(where, host) for every rule of the Ingress; host None where the rule names none."""
    return [(f"{place}.host", text(rule, "host", at=place) or None) for place, rule in objects(props, "spec", "rules")]


def _tls_hosts(props) -> tuple[bool, list[str]]:
    """Whether spec.tls has an entry without hosts (the controller's default certificate for every
    host, as the API documents it), and the hosts the entries name."""
    any_host, named = False, []
    for place, entry in objects(props, "spec", "tls"):
        hosts = strings(entry, "hosts", at=place)
        any_host = any_host or not hosts
        named += hosts
    return any_host, named


def _covered(host: str, tls_host: str) -> bool:
    """A TLS host covers the same name, and a wildcard one covers exactly one label in its place."""
    if host == tls_host:
        return True
    label, dot, parent = host.partition(".")
    return bool(dot) and tls_host.startswith("*.") and tls_host[2:] == parent and label != "*"


def _tls(args, config) -> Iterable[str]:
    if not objects(args.props, "spec", "tls"):
        yield "spec.tls is empty: the Ingress serves its hosts over plain HTTP"
        return
    any_host, tls_hosts = _tls_hosts(args.props)
    if any_host:
        return
    for place, host in _rule_hosts(args.props):
        if host and not any(_covered(host, tls_host) for tls_host in tls_hosts):
            yield f"{place} {host} is in no spec.tls[].hosts entry: it is served over plain HTTP"


def _explicit_hosts(args, config) -> Iterable[str]:
    for place, host in _rule_hosts(args.props):
        if host is None:
            yield f"{place} is not set: the rule answers for every host name that reaches the controller"
        elif host.startswith("*"):
            yield f"{place} {host} is a wildcard: the rule answers for every name under it"
    # Presence: a default backend that is only unknown at preview still answers every host.
    if is_set(args.props, "spec", "defaultBackend"):
        yield "spec.defaultBackend answers every host name no rule names"


RULES = (
    Rule(
        name="k8s-ingress-tls",
        description="Ingresses terminate TLS for every host they serve: spec.tls lists each rule's host "
                    "(a wildcard TLS host covers one label).",
        severity=Severity.HIGH,
        controls=(cis_eks("5.4.5"), nist_800_53("SC-8")),
        tags=TAGS,
        remediation="Add a spec.tls entry whose hosts cover every rule host, with the certificate's Secret "
                    "(or the controller's certificate for those hosts).",
        url=f"{URL}#tls",
        check=_tls,
        resource_types=(INGRESS,),
    ),
    Rule(
        name="k8s-ingress-explicit-hosts",
        description="Ingress rules name exact hosts: no rule without a host, no wildcard host, no default "
                    "backend that answers every other name.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("SC-7"),),
        tags=TAGS,
        remediation="Give every rule the exact host it serves and remove spec.defaultBackend.",
        url=f"{URL}#name-based-virtual-hosting",
        check=_explicit_hosts,
        resource_types=(INGRESS,),
    ),
)
