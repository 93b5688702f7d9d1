"""The pack's rules in one list; `policies()` builds the SDK policy objects from them."""
from __future__ import annotations

from policies.rule import Rule
from policies.rules import (
    addons,
    detection,
    ecr,
    eks_cluster,
    evidence,
    iam,
    installs,
    k8s_access,
    k8s_api_versions,
    k8s_ingress,
    k8s_network,
    k8s_rbac_abuse,
    k8s_service_accounts,
    k8s_workload,
    kms,
    logs,
    nodegroup,
    s3,
    supply_chain,
    vpc,
    waivers,
)

PACK_NAME = "devsecops-platform"
# PulumiPolicy.yaml carries the version the CLI publishes; keep the two equal (a test checks).
PACK_VERSION = "1.0.0"

RULES: tuple[Rule, ...] = (
    eks_cluster.RULES
    + logs.RULES
    + nodegroup.RULES
    + addons.RULES
    + ecr.RULES
    + kms.RULES
    + iam.RULES
    + s3.RULES
    + evidence.RULES
    + vpc.RULES
    + k8s_workload.RULES
    + k8s_network.RULES
    + k8s_access.RULES
    + k8s_rbac_abuse.RULES
    + k8s_service_accounts.RULES
    + k8s_ingress.RULES
    + k8s_api_versions.RULES
    + installs.RULES
    + supply_chain.RULES
    + detection.RULES
    + waivers.RULES
)


def policies(waived_by=None) -> list:
    """The SDK policies; given waivers (a real preview), findings they cover are not reported."""
    return [rule.to_policy(waived_by) for rule in RULES]


def rule(name: str) -> Rule:
    return next(r for r in RULES if r.name == name)
