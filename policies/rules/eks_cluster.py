"""EKS control plane: audit logs, secrets encryption, endpoint exposure, version, authentication."""
from __future__ import annotations

import re

from policies.severity import Severity

from policies.frameworks import cis_eks, fsbp, nist_800_53
from policies.networks import parse
from policies.rule import REAL_PREVIEW, Rule, config_value, each_resource
from policies.rules.cidrs import MIN_PREFIX_CONFIG, open_network_reasons
from policies.rules.eks_view import clusters
from policies.stack import depends_on, of_type
from policies.values import get

ALL_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
TAGS = ("eks", "control-plane")


def _log_types(args, config):
    def check(cluster):
        missing = [t for t in ALL_LOG_TYPES if t not in cluster.log_types()]
        if missing:
            yield f"control-plane log types not enabled: {', '.join(missing)}"
    return each_resource(clusters(args.resources), check)


def _secrets_encryption(args, config):
    def check(cluster):
        if not cluster.has_encryption_key():
            yield "no KMS key for envelope encryption of Kubernetes secrets"
            return
        if "secrets" not in cluster.encrypted_resources():
            yield "encryption config does not list 'secrets' in resources"
        # An unknown ARN is an output of a key this stack creates, so customer-managed.
        is_known, key = cluster.encryption_key()
        if is_known and isinstance(key, str) and ":alias/aws/" in key:
            yield f"secrets are encrypted with an AWS managed key ({key}); use a customer-managed key"
    return each_resource(clusters(args.resources), check)


PUBLIC_CONFIG = {
    "allowPublicEndpoint": {"type": "boolean", "default": False,
                            "description": "Whether this environment may expose the API endpoint publicly at all."},
    "allowedPublicCidrs": {"type": "array", "items": {"type": "string"}, "default": [],
                           "description": "CIDRs the public endpoint may be opened to."},
    **MIN_PREFIX_CONFIG,
}


def _public_endpoint(args, config):
    allow = config_value(config, PUBLIC_CONFIG, "allowPublicEndpoint")
    # A configured entry that is not a CIDR allows nothing.
    allowed = [n for n in map(parse, config_value(config, PUBLIC_CONFIG, "allowedPublicCidrs")) if n is not None]

    def check(cluster):
        if not cluster.public_endpoint():
            return
        if not allow:
            yield "the public API endpoint is enabled; this environment allows none"
            return
        cidrs = cluster.public_cidrs()
        # Open to the internet, by one network or by all of them together: whatever config allows.
        for reason in open_network_reasons(cidrs, config):
            yield f"the public API endpoint is open to the internet: {reason}"
        for cidr in cidrs:
            network = parse(cidr)
            if network is not None and not any(a.version == network.version and network.subnet_of(a) for a in allowed):
                yield f"public endpoint CIDR {cidr} is not within the allowed CIDRs"
    return each_resource(clusters(args.resources), check)


def _private_endpoint(args, config):
    def check(cluster):
        if not cluster.private_endpoint():
            yield "the private API endpoint is not enabled; nodes and operators reach the API over the internet"
    return each_resource(clusters(args.resources), check)


VERSION_CONFIG = {
    "minimumVersion": {"type": "string", "default": "1.31",
                       "description": "Oldest Kubernetes minor version EKS still supports for this environment."},
}


def _version_tuple(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


def _supported_version(args, config):
    minimum = _version_tuple(config_value(config, VERSION_CONFIG, "minimumVersion"))

    def check(cluster):
        version = cluster.version()
        parsed = _version_tuple(version) if version is not None else None
        if version is None:
            yield "Kubernetes version is not pinned; EKS picks one and upgrades are unplanned"
        elif parsed is None:
            yield f"Kubernetes version {version!r} is not a MAJOR.MINOR version"
        elif parsed < minimum:
            yield f"Kubernetes {version} is older than the oldest supported {'.'.join(map(str, minimum))}"
    return each_resource(clusters(args.resources), check)


AUTH_CONFIG = {
    "allowedModes": {"type": "array", "items": {"type": "string"}, "default": ["API"],
                     "description": "Authentication modes allowed (API uses access entries, no aws-auth ConfigMap)."},
}


def _authentication_mode(args, config):
    allowed = config_value(config, AUTH_CONFIG, "allowedModes")

    def check(cluster):
        mode = cluster.authentication_mode()
        if mode not in allowed:
            shown = mode if mode is not None else "unset (EKS default CONFIG_MAP)"
            yield f"authentication mode {shown} is not one of {', '.join(allowed)}"
    return each_resource(clusters(args.resources), check)


def _bootstrap_admin(args, config):
    views = clusters(args.resources)

    def check(cluster):
        value = get(cluster.props, "accessConfig", "bootstrapClusterCreatorAdminPermissions")
        if value is not False:
            yield ("the identity that creates the cluster keeps cluster-admin "
                   f"(bootstrapClusterCreatorAdminPermissions is {value if value is not None else 'unset, EKS default true'})")
    yield from each_resource([c for c in views if not c.is_component], check)
    if any(c.is_component for c in views):
        args.not_applicable(
            "pulumi-eks sets accessConfig.bootstrapClusterCreatorAdminPermissions on its child cluster, "
            "which only a real preview shows"
        )


def _log_group_managed(args, config):
    log_groups = of_type(args.resources, "aws:cloudwatch/logGroup:LogGroup")

    def check(cluster):
        name = cluster.name()
        if name is None:
            yield "the cluster has no explicit name, so the stack cannot own /aws/eks/<name>/cluster"
            return
        wanted = f"/aws/eks/{name}/cluster"
        matching = [g for g in log_groups if get(g.props, "name") == wanted]
        if not matching:
            yield f"log group {wanted} is not created by the stack; EKS would create it without KMS or retention"
        elif not any(depends_on(cluster.resource, g) for g in matching):
            yield f"the cluster does not depend on log group {wanted}, so EKS may create it first"
    return each_resource(clusters(args.resources), check)


_EKS_GUIDE = "https://docs.aws.amazon.com/eks/latest/best-practices/"

RULES = (
    Rule(
        name="eks-control-plane-logs-all-types",
        description="EKS clusters send all five control-plane log types (api, audit, authenticator, "
                    "controllerManager, scheduler) to CloudWatch.",
        severity=Severity.HIGH,
        controls=(cis_eks("2.1.1"), fsbp("EKS.8")),
        tags=TAGS + ("logging",),
        remediation="Set enabledClusterLogTypes to all five types on the cluster.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
        check=_log_types,
    ),
    Rule(
        name="eks-secrets-encryption-cmk",
        description="Kubernetes secrets are envelope-encrypted with a customer-managed KMS key.",
        severity=Severity.CRITICAL,
        controls=(cis_eks("5.3.1"), fsbp("EKS.3")),
        tags=TAGS + ("encryption", "kms"),
        remediation="Pass the secrets KMS key ARN as encryptionConfigKeyArn (encryptionConfig with "
                    "resources ['secrets'] on aws.eks.Cluster).",
        url="https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html",
        check=_secrets_encryption,
    ),
    Rule(
        name="eks-public-endpoint-restricted",
        description="The cluster API endpoint is private, or public only where the environment allows "
                    "it, to allowed CIDRs, and never to the internet (a network broader than the minimum "
                    "prefix, or networks that together cover every address).",
        severity=Severity.CRITICAL,
        controls=(cis_eks("5.4.1"),),
        tags=TAGS + ("network",),
        remediation="Set endpointPublicAccess false, or list only the allowed CIDRs in publicAccessCidrs.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
        check=_public_endpoint,
        config=PUBLIC_CONFIG,
    ),
    Rule(
        name="eks-private-endpoint-enabled",
        description="The cluster API endpoint is reachable privately from the VPC.",
        severity=Severity.HIGH,
        controls=(cis_eks("5.4.1"),),
        tags=TAGS + ("network",),
        remediation="Set endpointPrivateAccess true.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
        check=_private_endpoint,
    ),
    Rule(
        name="eks-supported-version",
        description="The cluster pins a Kubernetes version that EKS still supports.",
        severity=Severity.MEDIUM,
        controls=(fsbp("EKS.2"),),
        tags=TAGS + ("lifecycle",),
        remediation="Pin version to a supported MAJOR.MINOR and upgrade before end of support.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
        check=_supported_version,
        config=VERSION_CONFIG,
    ),
    Rule(
        name="eks-api-authentication-mode",
        description="Cluster access is managed with EKS access entries (authentication mode API), not "
                    "the aws-auth ConfigMap.",
        severity=Severity.HIGH,
        controls=(cis_eks("5.5.1"),),
        tags=TAGS + ("iam", "access"),
        remediation="Set authenticationMode to API and grant access through accessEntries.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html",
        check=_authentication_mode,
        config=AUTH_CONFIG,
    ),
    Rule(
        name="eks-no-bootstrap-creator-admin",
        description="The identity that creates the cluster does not keep an implicit cluster-admin "
                    "access entry.",
        severity=Severity.HIGH,
        controls=(cis_eks("4.1.1"),),
        tags=TAGS + ("iam", "access"),
        remediation="Set accessConfig.bootstrapClusterCreatorAdminPermissions false on the aws.eks.Cluster "
                    "(with pulumi-eks, through a transform on the component) and grant admins through "
                    "explicit access entries.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html",
        check=_bootstrap_admin,
        coverage=REAL_PREVIEW,
    ),
    Rule(
        name="eks-control-plane-log-group-managed",
        description="The stack creates the control-plane log group /aws/eks/<cluster>/cluster before the "
                    "cluster, so its KMS key and retention are the stack's.",
        severity=Severity.MEDIUM,
        controls=(nist_800_53("AU-9"),),
        tags=TAGS + ("logging",),
        remediation="Name the cluster explicitly, create aws.cloudwatch.LogGroup '/aws/eks/<name>/cluster' "
                    "with kmsKeyId and retentionInDays, and make the cluster depend on it.",
        url="https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
        check=_log_group_managed,
    ),
)
