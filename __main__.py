"""The platform, read top to bottom like the design diagram: config -> components -> exports."""
import pulumi

from components.ci import CiRole, CiRoleArgs
from components.cluster import Cluster, ClusterArgs
from components.config import load_config
from components.keys import Keys, KeysArgs
from components.network import Network, NetworkArgs
from components.registry import Registry, RegistryArgs, repository_arn, repository_name

cfg = load_config()  # every config problem is reported here, before any resource exists
prefix = cfg.resource_prefix

keys = Keys("keys", KeysArgs(
    prefix=prefix, account_id=cfg.account_id, region=cfg.region, deletion_window_days=cfg.kms_deletion_window_days,
))

network = Network("network", NetworkArgs(
    prefix=prefix, account_id=cfg.account_id, region=cfg.region, cluster_name=cfg.cluster_name,
    az_count=cfg.az_count, vpc_cidr=cfg.vpc_cidr,
    private_subnet_cidrs=cfg.private_subnet_cidrs, public_subnet_cidrs=cfg.public_subnet_cidrs,
    nat_per_az=cfg.nat_gateway_mode == "perAz", log_retention_days=cfg.log_retention_days,
    logs_kms_key_arn=keys.arn("logs"),
))

cluster = Cluster("cluster", ClusterArgs(
    cluster_name=cfg.cluster_name, prefix=prefix, kubernetes_version=cfg.kubernetes_version,
    vpc_id=network.vpc.id,
    private_subnet_ids=[s.id for s in network.private_subnets],
    public_subnet_ids=[s.id for s in network.public_subnets],
    endpoint_public_access=cfg.endpoint_public_access, public_access_cidrs=cfg.public_access_cidrs,
    admin_principal_arns=cfg.cluster_admin_principal_arns, viewer_principal_arns=cfg.cluster_viewer_principal_arns,
    log_retention_days=cfg.log_retention_days, logs_kms_key_arn=keys.arn("logs"),
    secrets_kms_key_arn=keys.arn("secrets"), ebs_kms_key_arn=keys.arn("ebs"),
    instance_types=cfg.node_instance_types, min_size=cfg.node_min_size, desired_size=cfg.node_desired_size,
    max_size=cfg.node_max_size, disk_size_gib=cfg.node_disk_size_gib, capacity_type=cfg.node_capacity_type,
    deletion_protection=cfg.is_prod,
))

repository_names = {image: repository_name(prefix, image) for image in cfg.ecr_images}
ci = CiRole("ci", CiRoleArgs(
    prefix=prefix, settings=cfg.ci, signing_key_arn=keys.signing_key.arn,
    repository_arns=[repository_arn(cfg.region, cfg.account_id, n) for n in repository_names.values()],
))

registry = Registry("registry", RegistryArgs(
    prefix=prefix, images=cfg.ecr_images, kms_key_arn=keys.arn("ecr"),
    keep_image_count=cfg.ecr_keep_image_count, untagged_expiry_days=cfg.ecr_untagged_expiry_days,
    push_principal_arns=[ci.role.arn], pull_principal_arns=[cluster.node_role.arn],
))

pulumi.export("region", cfg.region)
pulumi.export("accountId", cfg.account_id)
pulumi.export("vpcId", network.vpc.id)
pulumi.export("clusterName", cfg.cluster_name)
pulumi.export("clusterLogGroupName", cluster.log_group.name)
pulumi.export("clusterLogRetentionDays", cfg.log_retention_days)
pulumi.export("endpointPublicAccess", cfg.endpoint_public_access)
pulumi.export("publicAccessCidrs", list(cfg.public_access_cidrs))
pulumi.export("authenticationMode", "API")
pulumi.export("kubeconfig", pulumi.Output.secret(cluster.eks.kubeconfig_json))
pulumi.export("kmsKeyArns", {purpose: key.arn for purpose, key in keys.keys.items()})
pulumi.export("signingKeyArn", keys.signing_key.arn)
pulumi.export("signingPublicKeyPem", keys.signing_public_key_pem)
pulumi.export("nodeGroupName", cluster.node_group.node_group_name)
pulumi.export("ecrRepositoryNames", repository_names)
pulumi.export("ecrRepositoryUrls", {image: repo.repository_url for image, repo in registry.repositories.items()})
pulumi.export("ciRoleName", ci.role.name)
pulumi.export("ciRoleArn", ci.role.arn)
pulumi.export("ciTrust", {"provider": ci.trust.provider, "issuer": ci.trust.issuer, "subject": ci.trust.subject, "audience": ci.trust.audience})
