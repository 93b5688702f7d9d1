"""EKS addons: NetworkPolicies are enforced by vpc-cni; the EBS CSI driver runs with IRSA."""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import cis_eks, cis_k8s
from policies.rule import UNDECIDED, Finding, Rule, undecided
from policies.rules.eks_view import COMPONENT
from policies.stack import of_type
from policies.values import get, is_set, json_document, truthy

ADDON = "aws:eks/addon:Addon"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
VPC_CNI_COMPONENT = "eks:index:VpcCniAddon"


def _enforces_network_policy(resource) -> bool:
    """Whether this resource turns on vpc-cni's network policy agent (raises on unknown values and
    on a configuration that is not a JSON object)."""
    if resource.resource_type == ADDON:
        if get(resource.props, "addonName") != "vpc-cni":
            return False
        values = json_document(resource.props, "configurationValues") or {}
        return truthy(values.get("enableNetworkPolicy"))
    if resource.resource_type == VPC_CNI_COMPONENT:
        return truthy(get(resource.props, "enableNetworkPolicy"))
    return truthy(get(resource.props, "vpcCniOptions", "enableNetworkPolicy"))


def _network_policy_enforced(args, config):
    if not of_type(args.resources, NETWORK_POLICY):
        return
    undecided_on = None
    for resource in of_type(args.resources, ADDON, VPC_CNI_COMPONENT, COMPONENT):
        try:
            if _enforces_network_policy(resource):
                return
        except UNDECIDED as e:  # this one might have enforced them: say why it could not be told
            undecided_on = Finding(resource.urn, undecided(e))
    yield undecided_on or Finding(
        None,
        "the stack declares NetworkPolicies but no vpc-cni addon has enableNetworkPolicy on; "
        "they would be silently ignored",
    )


def _ebs_csi_irsa(args, config):
    if get(args.props, "addonName") == "aws-ebs-csi-driver" and not is_set(args.props, "serviceAccountRoleArn"):
        yield "the EBS CSI driver has no IRSA role and would use the node's instance role"


RULES = (
    Rule(
        name="eks-vpc-cni-network-policy",
        description="When the stack declares NetworkPolicies, the vpc-cni addon enforces them "
                    "(enableNetworkPolicy).",
        severity=Severity.HIGH,
        controls=(cis_eks("5.4.4"), cis_eks("4.3.1"), cis_k8s("5.3.1")),
        tags=("eks", "network", "kubernetes"),
        remediation="Configure the vpc-cni aws.eks.Addon with configurationValues "
                    "'{\"enableNetworkPolicy\": \"true\"}'.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html",
        check=_network_policy_enforced,
    ),
    Rule(
        name="eks-ebs-csi-irsa",
        description="The EBS CSI driver addon uses its own IRSA role, not the node role.",
        severity=Severity.MEDIUM,
        controls=(cis_eks("5.2.1"),),
        tags=("eks", "iam", "irsa"),
        remediation="Set serviceAccountRoleArn on the aws-ebs-csi-driver addon to a role trusted by "
                    "kube-system:ebs-csi-controller-sa.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html",
        check=_ebs_csi_irsa,
        resource_types=(ADDON,),
    ),
)
