"""VPC: flow logs on every VPC; no security-group ingress from anywhere except allowed LB ports."""
from __future__ import annotations

from typing import Any

from policies.severity import Severity

from policies.frameworks import fsbp
from policies.rule import Rule, config_value, each_resource
from policies.rules.cidrs import MIN_PREFIX_CONFIG, open_network_reasons
from policies.stack import companions, of_type
from policies.values import get, number, objects, shown, strings, text

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
            traffic = text(log.props, "trafficType")
            if traffic != "ALL":
                yield f"flow log {log.name} records {traffic} traffic, not ALL"
    return each_resource(of_type(args.resources, VPC), check)


INGRESS_CONFIG = {
    "allowedPorts": {"type": "array", "items": {"type": "integer"}, "default": [443],
                     "description": "Ports a load balancer may expose to the internet."},
    **MIN_PREFIX_CONFIG,
}
_ALL_PROTOCOLS = ("-1", "all")
# A range wider than this is more than any load balancer listens on; it is not read port by port.
_MAX_PORT_RANGE = 1024


def _source_cidrs(rule: Any, at: str) -> list[str]:
    """The IPv4 and IPv6 source networks of one ingress rule: lists inline and in SecurityGroupRule,
    one network in SecurityGroupIngressRule."""
    listed = [cidr for field in ("cidrBlocks", "ipv6CidrBlocks") for cidr in strings(rule, field, at=at)]
    single = [text(rule, field, at=at) for field in ("cidrIpv4", "cidrIpv6")]
    return listed + [cidr for cidr in single if cidr is not None]


def _exposure(rule: Any, at: str, allowed_ports: set) -> str | None:
    """What the rule exposes beyond the allowed load-balancer ports ("all traffic", "ports 22-22"),
    or None when it exposes only allowed ports."""
    protocol = get(rule, "protocol", at=at)
    if protocol is None:
        protocol = get(rule, "ipProtocol", default="-1", at=at)
    low, high = number(rule, "fromPort", at=at), number(rule, "toPort", at=at)
    if _protocol_name(protocol) in _ALL_PROTOCOLS or low is None or high is None:
        return "all traffic"
    # A reversed range proves nothing closed, so it is judged as exposing its ports too.
    in_range = 0 <= high - low <= _MAX_PORT_RANGE
    if not in_range or any(port not in allowed_ports for port in range(int(low), int(high) + 1)):
        return f"ports {shown(low)}-{shown(high)}"
    return None


def _protocol_name(protocol: Any) -> str:
    """The protocol as AWS spells it: every protocol is "-1" (or -1.0: numbers reach rules as floats) or "all"."""
    if isinstance(protocol, (int, float)) and not isinstance(protocol, bool):
        return shown(protocol)
    return str(protocol).lower()


def _ingress_rules(args) -> list[tuple[str, Any]]:
    """(where, rule) for the ingress rules the resource declares."""
    if args.resource_type == SECURITY_GROUP:
        return objects(args.props, "ingress")
    if args.resource_type == SECURITY_GROUP_RULE and text(args.props, "type") != "ingress":
        return []
    return [("", args.props)]


def _no_open_ingress(args, config):
    allowed = set(config_value(config, INGRESS_CONFIG, "allowedPorts"))
    only = f"only ports {', '.join(shown(p) for p in sorted(allowed))} may be open to it"
    # Every source network is read (an unknown one cannot be verified), then judged where the rule
    # exposes more than the allowed load-balancer ports.
    rules = [(at, rule, _source_cidrs(rule, at)) for at, rule in _ingress_rules(args)]
    exposed = [(what, cidrs) for at, rule, cidrs in rules if (what := _exposure(rule, at, allowed))]
    alone = [(what, reason) for what, cidrs in exposed for reason in open_network_reasons(cidrs, config)]
    for what, reason in alone:
        yield f"allows {what} from the internet: {reason}; {only}"
    if alone:
        return
    # The internet in two halves, on two rules, is still the internet.
    for reason in open_network_reasons([cidr for _, cidrs in exposed for cidr in cidrs], config):
        yield f"its ingress rules together allow traffic beyond the allowed ports from the internet: {reason}; {only}"


RULES = (
    Rule(
        name="vpc-flow-logs-enabled",
        description="Every VPC records flow logs of all traffic.",
        severity=Severity.MEDIUM,
        controls=(fsbp("EC2.6"),),
        tags=TAGS + ("logging",),
        remediation="Add an aws.ec2.FlowLog for the VPC with trafficType ALL to an encrypted log group.",
        url="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
        check=_flow_logs,
    ),
    Rule(
        name="vpc-no-open-ingress",
        description="No security group admits the internet (a network broader than the minimum prefix, "
                    "or its ingress networks together covering every address) except on the "
                    "load-balancer ports the environment allows.",
        severity=Severity.CRITICAL,
        controls=(fsbp("EC2.18"),),
        tags=TAGS,
        remediation="Restrict the source CIDRs, or expose only the allowed listener ports on the load balancer.",
        url="https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
        check=_no_open_ingress,
        resource_types=(SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE),
        config=INGRESS_CONFIG,
    ),
)
