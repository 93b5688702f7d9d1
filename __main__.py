"""The platform, read top to bottom like the design diagram: config -> components -> exports."""
import pulumi

from components import admission as kyverno, gitops as argocd, secrets as eso
from components.admission import Admission, AdmissionArgs, signed_image_patterns
from components.app import App, AppArgs
from components.ci import CiRole, CiRoleArgs
from components.cluster import Cluster, ClusterArgs
from components.config import load_config
from components.config_rules import DATABASE_SERVICE
from components.database import BACKUP_RESOURCES, BACKUP_WORKLOAD, Database, DatabaseArgs
from components.audit_detections import REVIEW_QUERY_NAMES
from components.detection import Detection, DetectionArgs, alarm_name, query_name, topic_name
from components.evidence_bucket import EvidenceBucket, EvidenceBucketArgs
from components.gitops import GitOps, GitOpsArgs
from components.guardduty import GuardDuty, GuardDutyArgs, findings_rule_name
from components.keys import Keys, KeysArgs
from components.namespace import RestrictedNamespace, RestrictedNamespaceArgs, workload_quota
from components.network import Network, NetworkArgs
from components.network_policies import (
    Edge, NetworkPolicies, NetworkPoliciesArgs, PlatformAllowance, call_graph_policies, graph_from_services, platform_policies,
)
from components.registry import Registry, RegistryArgs, repository_arn, repository_name
from components.restore_drill import RestoreDrill, RestoreDrillArgs
from components.secrets import APP_SECRET_NAME, DB_PASSWORD_KEY, AppSecrets, AppSecretsArgs
from policies.kyverno_exceptions import stack_exceptions

cfg = load_config()  # every config problem is reported here, before any resource exists
prefix = cfg.resource_prefix

keys = Keys("keys", KeysArgs(
    prefix=prefix, account_id=cfg.account_id, region=cfg.region, deletion_window_days=cfg.kms_deletion_window_days,
    signing_keys=cfg.supply_chain.signing_keys,
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

# Signed evidence bundles from the deploy pipelines, kept under Object Lock.
evidence = EvidenceBucket("evidence", EvidenceBucketArgs(
    prefix=prefix, account_id=cfg.account_id, retention_days=cfg.evidence_retention_days,
    kms_key_arn=keys.arn("evidence"), protect=cfg.is_prod,
))

registry = Registry("registry", RegistryArgs(
    prefix=prefix, images=cfg.ecr_images, kms_key_arn=keys.arn("ecr"),
    keep_image_count=cfg.ecr_keep_image_count, untagged_expiry_days=cfg.ecr_untagged_expiry_days,
    push_principal_arns=[ci.role.arn], pull_principal_arns=[cluster.node_role.arn],
))

# --- inside the cluster: admission, GitOps, secrets, the app and its database ---------------------
APP_NAMESPACE = "app"
k8s = cluster.provider
database_service = cfg.services[DATABASE_SERVICE]
app_services = {name: s for name, s in cfg.services.items() if name != DATABASE_SERVICE}
oidc = {"oidc_provider_arn": cluster.oidc_provider_arn, "oidc_issuer": cluster.oidc_issuer}

app_namespace = RestrictedNamespace("app-namespace", RestrictedNamespaceArgs(
    name=APP_NAMESPACE, kubernetes_version=cfg.kubernetes_version, provider=k8s,
    # Room for every service's replicas, plus the backup job, the backup freshness job and the restore drill.
    quota=workload_quota([(s.resources, s.replicas) for s in cfg.services.values()] + [(BACKUP_RESOURCES, 3)]),
))
in_app_namespace = (app_namespace.namespace,)

admission = Admission("admission", AdmissionArgs(
    prefix=prefix, region=cfg.region, kubernetes_version=cfg.kubernetes_version, failure_action=cfg.kyverno_failure_action,
    allowed_registries=(cfg.registry_host, *cfg.allowed_image_registries),
    signed_image_patterns=signed_image_patterns(cfg.registry_host, prefix),
    repository_arns=tuple(repository_arn(cfg.region, cfg.account_id, n) for n in repository_names.values()),
    signing_key_arns=tuple(k.arn for k in keys.signing_keys.values()),
    signing_public_key_pems=tuple(keys.signing_public_key_pems.values()),
    scan_max_age_hours=cfg.supply_chain.scan_max_age_hours,
    excluded_namespaces=("kube-system", kyverno.NAMESPACE, argocd.NAMESPACE, eso.NAMESPACE),
    high_availability=cfg.is_prod, provider=k8s, **oidc,
    # Waivers of the app's objects, as exceptions Kyverno honours until each expires.
    policy_exceptions=tuple(stack_exceptions(cfg.stack, (APP_NAMESPACE,), kyverno.NAMESPACE)),
))

secrets = AppSecrets("secrets", AppSecretsArgs(
    prefix=prefix, region=cfg.region, kubernetes_version=cfg.kubernetes_version, app_namespace=APP_NAMESPACE,
    kms_key_arn=keys.arn("app-secrets"), high_availability=cfg.is_prod, protect=cfg.is_prod, provider=k8s,
    depends_on=in_app_namespace, **oidc,
))
synced_secret = (*in_app_namespace, secrets.external_secret)

gitops = GitOps("gitops", GitOpsArgs(
    settings=cfg.gitops, app_namespace=APP_NAMESPACE, kubernetes_version=cfg.kubernetes_version,
    high_availability=cfg.is_prod, provider=k8s, depends_on=in_app_namespace,
))

database = Database("database", DatabaseArgs(
    prefix=prefix, account_id=cfg.account_id, region=cfg.region, namespace=APP_NAMESPACE, service=database_service,
    backup=cfg.backup, part_of=prefix, secret_name=APP_SECRET_NAME, secret_key=DB_PASSWORD_KEY,
    backups_kms_key_arn=keys.arn("backups"), protect=cfg.is_prod, provider=k8s, depends_on=synced_secret, **oidc,
))

# Weekly proof that the newest backup restores and is consistent; runs as the backup job.
RestoreDrill("restore-drill", RestoreDrillArgs(
    namespace=APP_NAMESPACE, service=database_service, backup=cfg.backup, part_of=prefix,
    secret_name=APP_SECRET_NAME, secret_key=DB_PASSWORD_KEY, bucket_name=database.backup_bucket.bucket.bucket,
    backups_kms_key_arn=keys.arn("backups"), region=cfg.region, provider=k8s, depends_on=(database,),
))

app = App("app", AppArgs(
    namespace=APP_NAMESPACE, services=app_services, part_of=prefix, secret_name=APP_SECRET_NAME,
    spread_over_zones=cfg.is_prod, provider=k8s, depends_on=synced_secret,
))

# Default deny everywhere the stack owns a namespace, then exactly the declared paths.
call_graph = graph_from_services(
    APP_NAMESPACE, cfg.services,
    clients=[Edge(BACKUP_WORKLOAD, DATABASE_SERVICE, database_service.port)], https_egress=[BACKUP_WORKLOAD],
)
platform = [
    PlatformAllowance(kyverno.NAMESPACE, webhook_ports=(kyverno.WEBHOOK_PORT,)),
    PlatformAllowance(eso.NAMESPACE, webhook_ports=(eso.WEBHOOK_PORT,)),
    PlatformAllowance(argocd.NAMESPACE),
]
NetworkPolicies("network-policies", NetworkPoliciesArgs(
    policies=tuple(call_graph_policies(call_graph) + [p for a in platform for p in platform_policies(a, [cfg.vpc_cidr])]),
    provider=k8s,
    depends_on=(app_namespace.namespace, admission.namespace.namespace, secrets.namespace.namespace, gitops.namespace.namespace),
))

# Detective controls: the audit log watched, GuardDuty on, both alarming to one encrypted topic.
detection = Detection("detection", DetectionArgs(
    prefix=prefix, account_id=cfg.account_id, region=cfg.region, cluster_name=cfg.cluster_name,
    log_group_name=cluster.log_group.name, kms_key_arn=keys.arn("alerts"),
    subscribers=cfg.detection.subscribers, thresholds=cfg.detection.thresholds,
    controller_namespaces=(kyverno.NAMESPACE, argocd.NAMESPACE, eso.NAMESPACE),
))
GuardDuty("guardduty", GuardDutyArgs(
    prefix=prefix, managed_centrally=cfg.detection.guardduty_managed_centrally, topic_arn=detection.topic.arn,
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
pulumi.export("signingKeyArns", [key.arn for key in keys.signing_keys.values()])
pulumi.export("nodeGroupName", cluster.node_group.node_group_name)
pulumi.export("ecrRepositoryNames", repository_names)
pulumi.export("ecrRepositoryUrls", {image: repo.repository_url for image, repo in registry.repositories.items()})
pulumi.export("ciRoleName", ci.role.name)
pulumi.export("ciRoleArn", ci.role.arn)
pulumi.export("ciTrust", {"provider": ci.trust.provider, "issuer": ci.trust.issuer, "subject": ci.trust.subject, "audience": ci.trust.audience})
pulumi.export("appNamespace", APP_NAMESPACE)
pulumi.export("kyvernoPolicyNames", list(admission.policies))
pulumi.export("dbPasswordSecretArn", secrets.db_secret.arn)
pulumi.export("backupBucketName", database.backup_bucket.bucket.bucket)
pulumi.export("backupKmsKeyArn", keys.arn("backups"))
pulumi.export("evidenceBucketName", evidence.bucket.bucket)
pulumi.export("evidenceKmsKeyArn", keys.arn("evidence"))
pulumi.export("evidenceRetentionDays", cfg.evidence_retention_days)
pulumi.export("alarmTopicName", topic_name(prefix))
pulumi.export("auditAlarmNames", [alarm_name(prefix, d) for d in detection.alarms])
pulumi.export("reviewQueryNames", [query_name(prefix, q) for q in REVIEW_QUERY_NAMES])
pulumi.export("guardDutyManagedCentrally", cfg.detection.guardduty_managed_centrally)
pulumi.export("guardDutyFindingsRuleName", findings_rule_name(prefix))
