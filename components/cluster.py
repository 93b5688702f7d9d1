"""The EKS cluster: audit logging, secrets encryption, private endpoint, IRSA, access entries,
a hardened managed node group, addons (network-policy enforcing vpc-cni, EBS CSI with IRSA), an
encrypted gp3 StorageClass, and the one Kubernetes provider every in-cluster resource uses."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.irsa import irsa_role
from components.policy_documents import allow, document, service_trust, to_json

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
NODE_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    # Lets SSM Session Manager replace SSH for node access.
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
)
VPC_CNI_CONFIGURATION = json.dumps({"enableNetworkPolicy": "true"}, sort_keys=True)


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    prefix: str
    kubernetes_version: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    public_subnet_ids: list[pulumi.Input[str]]
    endpoint_public_access: bool
    public_access_cidrs: tuple[str, ...]
    admin_principal_arns: tuple[str, ...]
    viewer_principal_arns: tuple[str, ...]
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str]
    secrets_kms_key_arn: pulumi.Input[str]
    ebs_kms_key_arn: pulumi.Input[str]
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gib: int
    capacity_type: str
    deletion_protection: bool


def no_creator_admin(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """pulumi-eks always grants the identity running `pulumi up` a hidden cluster-admin entry
    (CIS EKS 5.1); cluster access must come only from the access entries named in config."""
    if args.type_ != "aws:eks/cluster:Cluster":
        return None
    access = dict(args.props.get("accessConfig") or {})
    access["bootstrapClusterCreatorAdminPermissions"] = False
    return pulumi.ResourceTransformResult(props={**args.props, "accessConfig": access}, opts=args.opts)


def _access_entries(args: ClusterArgs) -> dict[str, eks.AccessEntryArgs]:
    entries = {}
    for kind, arns, policy in (("admin", args.admin_principal_arns, ADMIN_POLICY), ("viewer", args.viewer_principal_arns, VIEW_POLICY)):
        for index, arn in enumerate(arns):
            entries[f"{kind}-{index}"] = eks.AccessEntryArgs(
                principal_arn=arn,
                access_policies={kind: eks.AccessPolicyAssociationArgs(
                    policy_arn=policy,
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                )},
            )
    return entries


class Cluster(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:cluster:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # EKS would create this group itself with no retention and no KMS; creating it first wins.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs", name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days, kms_key_id=args.logs_kms_key_arn, opts=child,
        )
        self.eks = eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.private_subnet_ids,
            public_subnet_ids=args.public_subnet_ids,
            node_associate_public_ip_address=False,
            endpoint_private_access=True,
            endpoint_public_access=args.endpoint_public_access,
            public_access_cidrs=list(args.public_access_cidrs) if args.endpoint_public_access else None,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            encryption_config_key_arn=args.secrets_kms_key_arn,
            create_oidc_provider=True,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=_access_entries(args),
            skip_default_node_group=True,
            # Addons below are managed explicitly so their configuration is visible and checked.
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            deletion_protection=args.deletion_protection,
            tags={"Name": args.cluster_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group], transforms=[no_creator_admin]),
        )
        self.oidc_provider_arn = self.eks.oidc_provider_arn
        self.oidc_issuer = self.eks.oidc_provider_url

        early_addons = self._network_addons(name, args)
        self.node_role = self._node_role(name, args)
        self.launch_template = self._launch_template(name, args)
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=args.cluster_name,
            node_group_name=f"{args.prefix}-default",
            node_role_arn=self.node_role.arn,
            subnet_ids=args.private_subnet_ids,
            instance_types=list(args.instance_types),
            capacity_type=args.capacity_type,
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, desired_size=args.desired_size, max_size=args.max_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=self.launch_template.id, version=self.launch_template.latest_version.apply(str),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.eks, *early_addons]),
        )
        self._workload_addons(name, args)

        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.eks.kubeconfig_json, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_group]),
        )
        self.storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3-encrypted",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gp3-encrypted", annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": args.ebs_kms_key_arn, "fsType": "ext4"},
            # Database volumes must outlive their claims; deleting data is a deliberate act.
            reclaim_policy="Retain",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.register_outputs({
            "clusterName": args.cluster_name,
            "logGroupName": self.log_group.name,
            "nodeGroupName": self.node_group.node_group_name,
            "oidcProviderArn": self.oidc_provider_arn,
            "kubeconfig": pulumi.Output.secret(self.eks.kubeconfig_json),
        })

    def _addon(self, name: str, args: ClusterArgs, addon: str, depends_on: list, **extra) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-addon-{addon}", cluster_name=args.cluster_name, addon_name=addon,
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on), **extra,
        )

    def _network_addons(self, name: str, args: ClusterArgs) -> list[aws.eks.Addon]:
        """vpc-cni and kube-proxy must run before nodes can become Ready."""
        cni_role = irsa_role(
            f"{name}-vpc-cni-irsa", role_name=f"{args.prefix}-vpc-cni", provider_arn=self.oidc_provider_arn,
            issuer=self.oidc_issuer, namespace="kube-system", service_account="aws-node",
            managed_policy_arns=["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"], parent=self,
        )
        return [
            # Without enableNetworkPolicy the VPC CNI ignores every NetworkPolicy silently.
            self._addon(name, args, "vpc-cni", [self.eks], configuration_values=VPC_CNI_CONFIGURATION, service_account_role_arn=cni_role.arn),
            self._addon(name, args, "kube-proxy", [self.eks]),
        ]

    def _workload_addons(self, name: str, args: ClusterArgs) -> None:
        """coredns and the EBS CSI driver schedule pods, so they follow the node group."""
        ebs_role = irsa_role(
            f"{name}-ebs-csi-irsa", role_name=f"{args.prefix}-ebs-csi", provider_arn=self.oidc_provider_arn,
            issuer=self.oidc_issuer, namespace="kube-system", service_account="ebs-csi-controller-sa",
            managed_policy_arns=["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
            inline_policy=to_json(document(
                allow(["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], args.ebs_kms_key_arn, "UseVolumeKey"),
                allow(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], args.ebs_kms_key_arn, "GrantVolumeKey",
                      {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
            )),
            parent=self,
        )
        self._addon(name, args, "coredns", [self.node_group])
        self._addon(name, args, "aws-ebs-csi-driver", [self.node_group], service_account_role_arn=ebs_role.arn)

    def _node_role(self, name: str, args: ClusterArgs) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-node-role", name=f"{args.prefix}-node",
            assume_role_policy=to_json(service_trust("ec2.amazonaws.com")), opts=pulumi.ResourceOptions(parent=self),
        )
        for index, policy_arn in enumerate(NODE_MANAGED_POLICIES):
            aws.iam.RolePolicyAttachment(f"{name}-node-attach-{index}", role=role.name, policy_arn=policy_arn, opts=pulumi.ResourceOptions(parent=self))
        return role

    def _launch_template(self, name: str, args: ClusterArgs) -> aws.ec2.LaunchTemplate:
        return aws.ec2.LaunchTemplate(
            f"{name}-node-template",
            name_prefix=f"{args.prefix}-node-",
            description="Managed node group: IMDSv2 only, hop limit 1, encrypted gp3 root volume",
            # Hop limit 1 keeps pods from reaching the node's instance credentials.
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1, instance_metadata_tags="disabled",
            ),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=args.disk_size_gib, volume_type="gp3", encrypted="true",
                    kms_key_id=args.ebs_kms_key_arn, delete_on_termination="true",
                ),
            )],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags={"Name": f"{args.prefix}-node"})],
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
