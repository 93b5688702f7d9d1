"""Admission verifies what the images pipeline attests, judged at preview from the stack's Kyverno policy:
the SPDX SBOM and a recent vulnerability scan without CRITICAL findings, signed by a trusted key.

The twin of Kyverno's check at admission, as far as a preview can judge it: a preview cannot see an
image's attestations, but it can see that admission will demand them, how old a scan may be, and
that the signing keys are there.
"""
from __future__ import annotations

import re

from policies.severity import Severity

from policies.attestations import CRITICAL_COUNT, SBOM_PREDICATE, SCAN_AGE, VULN_PREDICATE
from policies.frameworks import nist
from policies.rule import Finding, Rule, config_value, each_resource
from policies.values import get, objects, strings, text

SIGNATURE_POLICY = "verify-image-signatures"
CUSTOM_RESOURCE = "kubernetes:apiextensions.k8s.io:CustomResource"
HOURS = re.compile(r"([0-9]+)h")

CONFIG = {
    "maxScanAgeHours": {"type": "integer", "default": 168, "minimum": 1,
                        "description": "Oldest vulnerability-scan attestation admission may accept, in hours."},
}


def _is_cluster_policy(resource) -> bool:
    """Kyverno ClusterPolicies register as kubernetes:kyverno.io/<version>:ClusterPolicy or the generic token."""
    if resource.resource_type == CUSTOM_RESOURCE:
        return (str(get(resource.props, "apiVersion", default="")).startswith("kyverno.io/")
                and get(resource.props, "kind") == "ClusterPolicy")
    return resource.resource_type.startswith("kubernetes:kyverno.io/") and resource.resource_type.endswith(":ClusterPolicy")


def _keys(attestation, at: str) -> list[str]:
    return [text(entry, "keys", "publicKeys", at=where) or ""
            for place, attestor in objects(attestation, "attestors", at=at)
            for where, entry in objects(attestor, "entries", at=place)]


def _conditions(attestation, at: str) -> list[tuple[str, object, object]]:
    return [(text(c, "key", at=w), text(c, "operator", at=w), get(c, "value"))
            for place, block in objects(attestation, "conditions", at=at)
            for kind in ("all", "any") for w, c in objects(block, kind, at=place)]


def _verification(verify, at: str, max_hours: int):
    by_type = {text(a, "type", at=w): (w, a) for w, a in objects(verify, "attestations", at=at)}
    for predicate, label in ((SBOM_PREDICATE, "SPDX SBOM"), (VULN_PREDICATE, "vulnerability scan")):
        if predicate not in by_type:
            yield f"{at} does not verify the {label} attestation ({predicate})"
        elif not any(_keys(by_type[predicate][1], by_type[predicate][0])):
            yield f"{at} names no key to verify the {label} attestation with"
    if VULN_PREDICATE not in by_type:
        return
    conditions = _conditions(by_type[VULN_PREDICATE][1], by_type[VULN_PREDICATE][0])
    ages = [HOURS.fullmatch(str(v)) for k, op, v in conditions if k == SCAN_AGE and op == "LessThanOrEquals"]
    if not any(ages):
        yield f"{at} does not limit the age of the vulnerability scan"
    elif min(int(m.group(1)) for m in ages if m) > max_hours:
        yield f"{at} accepts vulnerability scans older than {max_hours} hours"
    if not any(k == CRITICAL_COUNT and op == "Equals" and v == 0 for k, op, v in conditions):
        yield f"{at} does not refuse a vulnerability scan with CRITICAL findings"


def _attestations(args, config):
    max_hours = config_value(config, CONFIG, "maxScanAgeHours")
    policies = [r for r in args.resources if _is_cluster_policy(r) and text(r.props, "metadata", "name") == SIGNATURE_POLICY]

    def check(policy):
        for place, rule in objects(policy.props, "spec", "rules"):
            for at, verify in objects(rule, "verifyImages", at=place):
                if strings(verify, "imageReferences", at=at):
                    yield from _verification(verify, at, max_hours)
    yield from each_resource(policies, check)
    if not policies and any(r.resource_type.startswith("kubernetes:") for r in args.resources):
        yield Finding(None, f"no ClusterPolicy {SIGNATURE_POLICY} verifies the images' attestations")


RULES = (
    Rule(
        name="kyverno-image-attestations",
        description="Admission verifies, with the stack's signing keys, each signed image's SPDX SBOM attestation and "
                    "a vulnerability-scan attestation (trivy's cosign-vuln) no older than the environment allows and "
                    "without CRITICAL findings.",
        severity=Severity.HIGH,
        controls=(nist("4.1.1"), nist("4.1.5")),
        tags=("kubernetes", "supply-chain", "kyverno"),
        remediation="Keep the attestations of policies.attestations in the verify-image-signatures ClusterPolicy and "
                    "vulnerabilityScanMaxAgeHours within the pack config's maxScanAgeHours.",
        url="https://kyverno.io/docs/policy-types/cluster-policy/verify-images/sigstore/",
        check=_attestations,
        config=CONFIG,
    ),
)
