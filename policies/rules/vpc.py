"""VPC: flow logs on every VPC; no security-group ingress from anywhere except allowed LB ports."""
from __future__ import annotations

import ipaddress

from pulumi_policy import Severity

from policies.frameworks import fsbp, nist
from policies.rule import Rule, config_value, each_resource
from policies.stack import companions, of_type
from policies.values import as_list, get

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
TAGS = ("network", "vpc")


def _flow_logs(args, config):
    attached = companions(args.resources, "vpcId", FLOW_LOG)

    def check(vpc):
        logs = attached(vpc, None)
        if not logs:
            yield "VPC has no flow log"
        for log in logs:
            if get(log.props, "trafficType") != "ALL":
                yield f"flow log {log.name} records {get(log.props, 'trafficType')} traffic, not ALL"
    return each_resource(of_type(args.resources, VPC), check)


INGRESS_CONFIG = {
    "allowedPorts": {"type": "array", "items": {"type": "integer"}, "default": [443],
                     "description": "Ports a load balancer may expose to 0.0.0.0/0 or ::/0."},
}


def is_everywhere(cidr) -> bool:
    """0.0.0.0/0 or ::/0 however spelled ("0::/0", "::0/0"); a CIDR that does not parse is no
    address range AWS would accept, so it is judged as open rather than passed."""
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return True


def _open_ingress(rule, allowed_ports):
    """The message for one ingress rule open to the world on ports not allowed, or None."""
    cidrs = [c for c in as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks"))
             + as_list(get(rule, "cidrIpv4")) + as_list(get(rule, "cidrIpv6")) if is_everywhere(c)]
    if not cidrs:
        return None
    protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default="-1"))).lower()
    low, high = get(rule, "fromPort"), get(rule, "toPort")
    if protocol in ("-1", "-1.0", "all") or low is None or high is None:
        return f"allows all traffic from {', '.join(cidrs)}"
    ports = range(int(low), int(high) + 1)
    if len(ports) > 1024 or any(p not in allowed_ports for p in ports):
        return f"allows ports {int(low)}-{int(high)} from {', '.join(cidrs)}; only {sorted(allowed_ports)} may be open"
    return None


def _no_open_ingress(args, config):
    allowed = set(config_value(config, INGRESS_CONFIG, "allowedPorts"))
    if args.resource_type == SECURITY_GROUP:
        rules = list(get(args.props, "ingress", default=[]))
    elif args.resource_type == SECURITY_GROUP_RULE:
        rules = [args.props] if get(args.props, "type") == "ingress" else []
    else:
        rules = [args.props]
    for rule in rules:
        message = _open_ingress(rule, allowed)
        if message:
            yield message


RULES = (
    Rule(
        name="vpc-flow-logs-enabled",
        description="Every VPC records flow logs of all traffic.",
        severity=Severity.MEDIUM,
        controls=(fsbp("EC2.6"), nist("4.3.3")),
        tags=TAGS + ("logging",),
        remediation="Add an aws.ec2.FlowLog for the VPC with trafficType ALL to an encrypted log group.",
        url="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
        check=_flow_logs,
    ),
    Rule(
        name="vpc-no-open-ingress",
        description="No security group admits 0.0.0.0/0 or ::/0 except on the load-balancer ports the "
                    "environment allows.",
        severity=Severity.CRITICAL,
        controls=(fsbp("EC2.18"), fsbp("EC2.19")),
        tags=TAGS,
        remediation="Restrict the source CIDRs, or expose only the allowed listener ports on the load balancer.",
        url="https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
        check=_no_open_ingress,
        resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
        config=INGRESS_CONFIG,
    ),
)
