"""The VPC: public and private subnets over N AZs, NAT per AZ (or one), flow logs, EKS subnet tags."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.policy_documents import allow, document, service_trust, to_json


@dataclass(frozen=True)
class NetworkArgs:
    prefix: str
    account_id: str
    region: str
    cluster_name: str
    az_count: int
    vpc_cidr: str
    private_subnet_cidrs: tuple[str, ...]
    public_subnet_cidrs: tuple[str, ...]
    nat_per_az: bool
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str]


class Network(pulumi.ComponentResource):
    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {"Name": args.prefix}
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}

        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block=args.vpc_cidr, enable_dns_hostnames=True, enable_dns_support=True,
            tags=tags, opts=child,
        )
        # CIS AWS 5.4: the default security group allows nothing; workloads use their own groups.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, tags={"Name": f"{args.prefix}-default-deny"}, opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags, opts=child)

        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={"Name": f"{args.prefix}-public"}, opts=child,
        )
        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        nat_gateways: list[aws.ec2.NatGateway] = []
        for index in range(args.az_count):
            zone = zones.names[index]
            public = aws.ec2.Subnet(
                f"{name}-public-{index}", vpc_id=self.vpc.id, cidr_block=args.public_subnet_cidrs[index],
                availability_zone=zone,
                # Nothing gets a public IP by accident; NAT gateways and load balancers bring their own.
                map_public_ip_on_launch=False,
                tags={**cluster_tag, "Name": f"{args.prefix}-public-{index}", "kubernetes.io/role/elb": "1"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-public-{index}-rta", subnet_id=public.id, route_table_id=public_routes.id, opts=child)
            self.public_subnets.append(public)
            if args.nat_per_az or index == 0:
                eip = aws.ec2.Eip(f"{name}-nat-{index}-eip", domain="vpc", tags={"Name": f"{args.prefix}-nat-{index}"}, opts=child)
                nat_gateways.append(aws.ec2.NatGateway(
                    f"{name}-nat-{index}", subnet_id=public.id, allocation_id=eip.id,
                    tags={"Name": f"{args.prefix}-nat-{index}"}, opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                ))

        for index in range(args.az_count):
            private = aws.ec2.Subnet(
                f"{name}-private-{index}", vpc_id=self.vpc.id, cidr_block=args.private_subnet_cidrs[index],
                availability_zone=zones.names[index], map_public_ip_on_launch=False,
                tags={**cluster_tag, "Name": f"{args.prefix}-private-{index}", "kubernetes.io/role/internal-elb": "1"},
                opts=child,
            )
            nat = nat_gateways[index] if args.nat_per_az else nat_gateways[0]
            routes = aws.ec2.RouteTable(
                f"{name}-private-{index}-rt", vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={"Name": f"{args.prefix}-private-{index}"}, opts=child,
            )
            aws.ec2.RouteTableAssociation(f"{name}-private-{index}-rta", subnet_id=private.id, route_table_id=routes.id, opts=child)
            self.private_subnets.append(private)

        self.flow_log_group = self._flow_logs(name, args, child)
        self.register_outputs({
            "vpcId": self.vpc.id,
            "privateSubnetIds": [s.id for s in self.private_subnets],
            "publicSubnetIds": [s.id for s in self.public_subnets],
            "natGatewayCount": len(nat_gateways),
        })

    def _flow_logs(self, name: str, args: NetworkArgs, child: pulumi.ResourceOptions) -> aws.cloudwatch.LogGroup:
        group_name = f"/aws/vpc/{args.prefix}/flow-logs"
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=group_name, retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_kms_key_arn, opts=child,
        )
        group_arn = f"arn:aws:logs:{args.region}:{args.account_id}:log-group:{group_name}"
        role = aws.iam.Role(
            f"{name}-flow-logs-role", name=f"{args.prefix}-vpc-flow-logs",
            assume_role_policy=to_json(service_trust("vpc-flow-logs.amazonaws.com", args.account_id)), opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write", role=role.id,
            policy=to_json(document(allow(
                ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                [group_arn, f"{group_arn}:*"], "WriteFlowLogs",
            ))),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log", vpc_id=self.vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn, iam_role_arn=role.arn, max_aggregation_interval=60, opts=child,
        )
        return log_group
