"""Kyverno from its Helm chart and the ClusterPolicies of the shared workload catalogue.

The policy bodies come from policies/kyverno.py (the same catalogue the CrossGuard pack checks at
preview), parameterised here per stack: failure action, this stack's registries and ECR
repositories, and the public halves of the KMS cosign keys, read from KMS so no PEM is ever pasted.

Waivers of Kubernetes objects become Kyverno PolicyExceptions (policies/kyverno_exceptions.py),
which Kyverno honours only from its own namespace; its cleanup controller may delete them when they
expire.

Two controllers verify image signatures: the admission controller when a pod is admitted, and the
reports controller when its background scans re-verify running images for the policy reports.
Each gets its own IRSA role with the same read-only permissions and the AWS region, so a report
records a verified signature where admission did, not a registry error.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import helm
from components.irsa import irsa_role
from components.policy_documents import allow, document, to_json
from policies.kyverno import cluster_policies
from policies.workload_catalog import KyvernoParams

NAMESPACE = "kyverno"
SERVICE_ACCOUNT = "kyverno-admission-controller"
REPORTS_SERVICE_ACCOUNT = "kyverno-reports-controller"
WEBHOOK_PORT = 9443
WEBHOOK_TIMEOUT_SECONDS = 15
ECR_READ_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:DescribeImages")
CONTROLLERS = ("admissionController", "backgroundController", "cleanupController", "reportsController")
CONTROLLER_RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
# Every Kyverno pod runs as this uid/gid (Argo CD 10200, External Secrets 10300, the app 10001-10003).
UID = 10100
# The chart's hook and cleanup jobs, each with its own pod and container security context.
JOBS = (("webhooksCleanup",), ("policyReportsCleanup",), ("cleanupJobs", "admissionReports"), ("cleanupJobs", "clusterAdmissionReports"))


@dataclass(frozen=True)
class AdmissionArgs:
    prefix: str
    region: str
    kubernetes_version: str
    # Enforce or Audit for every policy but the critical ones, which enforce in every environment.
    failure_action: str
    # Registry prefixes images may come from: this stack's ECR host first, then the allow-list.
    allowed_registries: tuple[str, ...]
    # Image references whose signatures are verified, e.g. <registry>/<prefix>/*.
    signed_image_patterns: tuple[str, ...]
    repository_arns: tuple[str, ...]
    # The stack's cosign keys, the current one first, and their public halves in the same order:
    # admission accepts a signature or attestation by any of them (rotation overlap).
    signing_key_arns: tuple[pulumi.Input[str], ...]
    signing_public_key_pems: tuple[pulumi.Input[str], ...]
    # Age after which a vulnerability-scan attestation no longer admits an image.
    scan_max_age_hours: int
    # Namespaces outside Kyverno's scope: the control plane's and the platform's own controllers,
    # which run upstream charts under Pod Security "restricted" instead.
    excluded_namespaces: tuple[str, ...]
    high_availability: bool
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    provider: k8s.Provider
    # PolicyException documents of the waivers in force, all in NAMESPACE.
    policy_exceptions: tuple[dict, ...] = ()


def controller_values(name: str, high_availability: bool) -> dict:
    replicas = (3 if name == "admissionController" else 2) if high_availability else 1
    # The chart reads the admission controller's resources under `container`, the other
    # controllers' at their top level; a key in the wrong place is silently ignored.
    # Container security contexts sit beside the resources; the admission controller's init container has its own.
    container = {"resources": CONTROLLER_RESOURCES, "securityContext": helm.container_identity(UID)}
    if name == "admissionController":
        container = {"container": container, "initContainer": {"securityContext": helm.container_identity(UID)}}
    return {"replicas": replicas, "podSecurityContext": helm.pod_identity(UID), **container}


def job_identities() -> dict:
    """The hook and cleanup jobs run as UID too (the hooks' container default is runAsUser 65534)."""
    values: dict = {}
    for path in JOBS:
        *parents, job = path
        target = values
        for key in parents:
            target = target.setdefault(key, {})
        target[job] = {"podSecurityContext": helm.pod_identity(UID), "securityContext": helm.container_identity(UID)}
    return values


def service_account(name: str, role_arn: pulumi.Input[str]) -> dict:
    return {"serviceAccount": {"name": name, "annotations": {"eks.amazonaws.com/role-arn": role_arn}}}


def chart_values(args: AdmissionArgs, role_arn: pulumi.Input[str], reports_role_arn: pulumi.Input[str]) -> dict:
    values = {name: controller_values(name, args.high_availability) for name in CONTROLLERS} | job_identities()
    # Signature verification reads ECR and KMS with the IRSA role; the SDKs need the region. The
    # chart reads the admission controller's env under `container`, the reports controller's at its top.
    region = [{"name": "AWS_REGION", "value": args.region}]
    values["admissionController"]["rbac"] = service_account(SERVICE_ACCOUNT, role_arn)
    values["admissionController"]["container"]["extraEnvVars"] = region
    values["reportsController"]["rbac"] = service_account(REPORTS_SERVICE_ACCOUNT, reports_role_arn)
    values["reportsController"]["extraEnvVars"] = region
    values["config"] = {
        "webhooks": {"namespaceSelector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": list(args.excluded_namespaces)},
        ]}},
    }
    values["features"] = {
        "registryClient": {"credentialHelpers": ["default", "amazon"]},
        # Never let the chart downgrade Fail to Ignore behind the policies' back.
        "forceFailurePolicyIgnore": {"enabled": False},
        # Exceptions come from the reviewed waiver file, into Kyverno's own namespace only.
        "policyExceptions": {"enabled": True, "namespace": NAMESPACE},
    }
    # The cleanup controller deletes an expired exception (its cleanup.kyverno.io/ttl label).
    values["cleanupController"]["rbac"] = {"clusterRole": {"extraResources": [
        {"apiGroups": ["kyverno.io"], "resources": ["policyexceptions"], "verbs": ["delete", "list", "watch"]},
    ]}}
    return values


def policy_documents(args: AdmissionArgs, public_key_pems: tuple[str, ...]) -> list[dict]:
    """The catalogue's ClusterPolicies for this stack (pure; the admission test reads them)."""
    params = KyvernoParams(
        failure_action=args.failure_action,
        allowed_registries=args.allowed_registries,
        signed_image_patterns=args.signed_image_patterns,
        cosign_public_keys=public_key_pems,
        scan_max_age_hours=args.scan_max_age_hours,
        excluded_namespaces=args.excluded_namespaces,
    )
    documents = cluster_policies(params)
    for doc in documents:
        doc["spec"]["webhookConfiguration"]["timeoutSeconds"] = WEBHOOK_TIMEOUT_SECONDS
    return documents


def verification_policy(args: AdmissionArgs) -> pulumi.Output[str]:
    """What verifying this stack's signatures reads: its repositories and the signing keys' public halves."""
    return to_json(document(
        # GetAuthorizationToken has no resource-level permissions.
        allow(["ecr:GetAuthorizationToken"], "*", "EcrLogin"),
        allow(list(ECR_READ_ACTIONS), list(args.repository_arns), "ReadStackRepositories"),
        allow(["kms:GetPublicKey", "kms:DescribeKey"], list(args.signing_key_arns), "ReadSigningPublicKeys"),
    ))


class Admission(pulumi.ComponentResource):
    def __init__(self, name: str, args: AdmissionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:admission:Admission", name, None, opts)
        trust = dict(provider_arn=args.oidc_provider_arn, issuer=args.oidc_issuer, namespace=NAMESPACE, parent=self)
        self.role = irsa_role(
            f"{name}-kyverno-irsa", role_name=f"{args.prefix}-kyverno", service_account=SERVICE_ACCOUNT,
            inline_policy=verification_policy(args), **trust,
        )
        self.reports_role = irsa_role(
            f"{name}-kyverno-reports-irsa", role_name=f"{args.prefix}-kyverno-reports",
            service_account=REPORTS_SERVICE_ACCOUNT, inline_policy=verification_policy(args), **trust,
        )
        self.namespace, self.release = helm.install(
            name, f"{name}-kyverno", helm.KYVERNO, NAMESPACE, chart_values(args, self.role.arn, self.reports_role.arn),
            kubernetes_version=args.kubernetes_version, provider=args.provider, parent=self,
        )

        # Only the policy that embeds the keys waits for them; the others stay plain, known values.
        count = len(args.signing_public_key_pems)
        placeholder_a, placeholder_b = policy_documents(args, ("a",) * count), policy_documents(args, ("b",) * count)
        with_key = pulumi.Output.all(*args.signing_public_key_pems).apply(lambda pems: policy_documents(args, tuple(pems)))
        policy_opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.release])
        self.policies: dict[str, k8s.apiextensions.CustomResource] = {}
        for index, (doc, other) in enumerate(zip(placeholder_a, placeholder_b)):
            spec = doc["spec"] if doc["spec"] == other["spec"] else with_key.apply(lambda docs, i=index: docs[i]["spec"])
            name_ = doc["metadata"]["name"]
            self.policies[name_] = k8s.apiextensions.CustomResource(
                f"{name}-{name_}", api_version=doc["apiVersion"], kind=doc["kind"],
                metadata=doc["metadata"], spec=spec, opts=policy_opts,
            )
        self.exceptions = [
            k8s.apiextensions.CustomResource(
                f"{name}-{doc['metadata']['name']}", api_version=doc["apiVersion"], kind=doc["kind"],
                metadata=doc["metadata"], spec=doc["spec"], opts=policy_opts,
            )
            for doc in args.policy_exceptions
        ]
        self.register_outputs({"policyNames": list(self.policies), "roleArn": self.role.arn,
                               "reportsRoleArn": self.reports_role.arn,
                               "policyExceptionNames": [d["metadata"]["name"] for d in args.policy_exceptions]})


def signed_image_patterns(registry_host: str, prefix: str) -> tuple[str, ...]:
    """Every repository of this stack (<prefix>/<image>) in this stack's registry."""
    return (f"{registry_host}/{prefix}/*",)

