"""Worker nodes: private subnets, no SSH, IMDSv2 with hop limit 1, encrypted volumes."""
from __future__ import annotations

from policies.severity import Severity

from policies.frameworks import cis_eks, fsbp, nist
from policies.rule import Rule, config_value, each_resource
from policies.rules.eks_view import COMPONENT
from policies.stack import of_type, referenced
from policies.values import UnknownValueError, get, is_set, number, objects, shown, text, truthy

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
TAGS = ("eks", "nodes")


def _private_subnets(args, config):
    def node_group(group):
        subnets = referenced(group, "subnetIds", SUBNET)
        if not subnets:
            yield "cannot show the node group's subnets are private: they are not subnets of this stack"
        for subnet in subnets:
            if truthy(get(subnet.props, "mapPublicIpOnLaunch")):
                yield f"subnet {subnet.name} assigns public IPs on launch"
            if get(subnet.props, "tags", "kubernetes.io/role/elb") == "1":
                yield f"subnet {subnet.name} is a public (internet-facing load balancer) subnet"

    def default_node_group(cluster):
        # pulumi-eks's default node group gives nodes public IPs unless told otherwise.
        if get(cluster.props, "skipDefaultNodeGroup") is not True and \
                get(cluster.props, "nodeAssociatePublicIpAddress") is not False:
            yield "the pulumi-eks default node group associates public IPs; skip it or set nodeAssociatePublicIpAddress false"

    yield from each_resource(of_type(args.resources, NODE_GROUP), node_group)
    yield from each_resource(of_type(args.resources, COMPONENT), default_node_group)


def _installs_ssh_key(node_group_props) -> bool:
    """EKS opens SSH only with a key pair: remoteAccess without ec2SshKey (source security groups
    alone, or empty) installs nothing to log in with. An unknown remoteAccess may hold a key."""
    try:
        remote_access = get(node_group_props, "remoteAccess")
    except UnknownValueError:
        return True
    return remote_access is not None and is_set(remote_access, "ec2SshKey", at="remoteAccess")


def _no_ssh(args, config):
    if args.resource_type == NODE_GROUP and _installs_ssh_key(args.props):
        yield "node group allows SSH remote access (remoteAccess.ec2SshKey)"
    if args.resource_type == LAUNCH_TEMPLATE and is_set(args.props, "keyName"):
        yield "launch template installs an SSH key pair"


IMDS_CONFIG = {
    "maximumHopLimit": {"type": "integer", "default": 1,
                        "description": "Largest IMDS PUT response hop limit (1 keeps pods off node credentials)."},
}


def _node_group_templates(args):
    """Each node group with the launch templates it uses; a group without one uses EKS's default."""
    for group in of_type(args.resources, NODE_GROUP):
        yield group, referenced(group, "launchTemplate", LAUNCH_TEMPLATE)


def _imdsv2(args, config):
    max_hops = config_value(config, IMDS_CONFIG, "maximumHopLimit")

    def template(lt):
        if get(lt.props, "metadataOptions", "httpTokens") != "required":
            yield "IMDSv2 is not required (metadataOptions.httpTokens must be 'required')"
        hops = number(lt.props, "metadataOptions", "httpPutResponseHopLimit")
        if hops is None or hops > max_hops:
            shown_hops = shown(hops) if hops is not None else "unset (default 2)"
            yield f"IMDS hop limit is {shown_hops}; at most {shown(max_hops)}"

    def group(ng):
        if not referenced(ng, "launchTemplate", LAUNCH_TEMPLATE):
            yield "node group uses no launch template of this stack, so IMDS settings are EKS defaults (IMDSv1 on)"

    yield from each_resource(of_type(args.resources, LAUNCH_TEMPLATE), template)
    yield from each_resource(of_type(args.resources, NODE_GROUP), group)


def _volumes_encrypted(args, config):
    def template(lt):
        mappings = objects(lt.props, "blockDeviceMappings")
        if not mappings:
            yield "no block device mapping declares an encrypted root volume"
        for place, mapping in mappings:
            if not truthy(get(mapping, "ebs", "encrypted", at=place)):
                yield f"{place} ({text(mapping, 'deviceName', at=place)}) is not encrypted"

    def group(ng):
        if not referenced(ng, "launchTemplate", LAUNCH_TEMPLATE):
            yield "node group uses no launch template of this stack, so volume encryption is not declared"

    yield from each_resource(of_type(args.resources, LAUNCH_TEMPLATE), template)
    yield from each_resource(of_type(args.resources, NODE_GROUP), group)


_NODES_URL = "https://docs.aws.amazon.com/eks/latest/best-practices/protecting-the-infrastructure.html"

RULES = (
    Rule(
        name="nodegroup-private-subnets",
        description="Worker nodes run in private subnets without public IPs.",
        severity=Severity.HIGH,
        controls=(cis_eks("5.4.3"), fsbp("EC2.9")),
        tags=TAGS + ("network",),
        remediation="Place node groups in the private subnets (mapPublicIpOnLaunch false) and skip the "
                    "pulumi-eks default node group.",
        url=_NODES_URL,
        check=_private_subnets,
    ),
    Rule(
        name="nodegroup-no-ssh",
        description="Worker nodes accept no SSH: no remoteAccess on node groups, no key pair in launch "
                    "templates.",
        severity=Severity.HIGH,
        controls=(nist("4.5.4"),),
        tags=TAGS + ("access",),
        remediation="Remove remoteAccess.ec2SshKey (or remoteAccess) and keyName; use SSM Session Manager "
                    "for break-glass access.",
        url=_NODES_URL,
        check=_no_ssh,
        resource_types=(NODE_GROUP, LAUNCH_TEMPLATE),
    ),
    Rule(
        name="nodegroup-imdsv2-required",
        description="Nodes require IMDSv2 with a PUT response hop limit of 1, so pods cannot take the "
                    "node's IAM credentials.",
        severity=Severity.HIGH,
        controls=(fsbp("EC2.8"),),
        tags=TAGS + ("imds",),
        remediation="Give every node group a launch template with metadataOptions httpTokens 'required' "
                    "and httpPutResponseHopLimit 1.",
        url="https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html",
        check=_imdsv2,
        config=IMDS_CONFIG,
    ),
    Rule(
        name="nodegroup-volumes-encrypted",
        description="Node volumes are encrypted.",
        severity=Severity.HIGH,
        controls=(fsbp("EC2.3"),),
        tags=TAGS + ("encryption",),
        remediation="Declare the root volume in the launch template's blockDeviceMappings with ebs.encrypted "
                    "'true' and a KMS key.",
        url=_NODES_URL,
        check=_volumes_encrypted,
    ),
)
