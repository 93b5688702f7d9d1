"""The compliance frameworks rules map to, so every rule names its control the same way.

A rule claims a control only where passing the rule means the control (or the part the reason names)
is met; tests/policies/test_compliance_claims.py holds the reason for every claim.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    name: str
    version: str


CIS_EKS = Framework("CIS Amazon EKS Benchmark", "1.5.0")
CIS_K8S = Framework("CIS Kubernetes Benchmark", "1.9.0")
NIST_800_190 = Framework("NIST SP 800-190", "2017")
# For controls no container benchmark names (key management, audit log protection, boundary
# protection, authenticator lifetime, unsupported components).
NIST_800_53 = Framework("NIST SP 800-53", "Rev. 5")
AWS_FSBP = Framework("AWS Foundational Security Best Practices", "2024")
PSS = Framework("Kubernetes Pod Security Standards", "restricted")


@dataclass(frozen=True)
class Control:
    framework: Framework
    reference: str

    def label(self) -> str:
        return f"{self.framework.name} {self.reference}"


def cis_eks(ref: str) -> Control:
    return Control(CIS_EKS, ref)


def cis_k8s(ref: str) -> Control:
    return Control(CIS_K8S, ref)


def nist(ref: str) -> Control:
    return Control(NIST_800_190, ref)


def nist_800_53(ref: str) -> Control:
    return Control(NIST_800_53, ref)


def fsbp(ref: str) -> Control:
    return Control(AWS_FSBP, ref)


def pss(ref: str) -> Control:
    return Control(PSS, ref)


# --- Control catalogues: what the compliance matrix lists per framework ------------------------------
# A control no rule claims is listed as "manual", so what the pack does not check stays visible.


@dataclass(frozen=True)
class CatalogueEntry:
    reference: str
    title: str


@dataclass(frozen=True)
class Catalogue:
    framework: Framework
    entries: tuple[CatalogueEntry, ...]
    # What the list covers; an auditor reads it before the matrix's "manual" rows.
    scope: str


def _entries(*pairs: str) -> tuple[CatalogueEntry, ...]:
    return tuple(CatalogueEntry(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))


# Every recommendation of CIS Amazon EKS Benchmark v1.5.0 (section 1, the control plane, is AWS's).
CIS_EKS_CATALOGUE = Catalogue(CIS_EKS, _entries(
    "2.1.1", "Enable audit Logs",
    "3.1.1", "Ensure that the kubeconfig file permissions are set to 644 or more restrictive",
    "3.1.2", "Ensure that the kubelet kubeconfig file ownership is set to root:root",
    "3.1.3", "Ensure that the kubelet configuration file has permissions set to 644 or more restrictive",
    "3.1.4", "Ensure that the kubelet configuration file ownership is set to root:root",
    "3.2.1", "Ensure that the Anonymous Auth is Not Enabled",
    "3.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow",
    "3.2.3", "Ensure that a Client CA File is Configured",
    "3.2.4", "Ensure that the --read-only-port is disabled",
    "3.2.5", "Ensure that the --streaming-connection-idle-timeout argument is not set to 0",
    "3.2.6", "Ensure that the --make-iptables-util-chains argument is set to true",
    "3.2.7", "Ensure that the --eventRecordQPS argument is set to 0 or a level which ensures appropriate event capture",
    "3.2.8", "Ensure that the --rotate-certificates argument is not present or is set to true",
    "3.2.9", "Ensure that the RotateKubeletServerCertificate argument is set to true",
    "4.1.1", "Ensure that the cluster-admin role is only used where required",
    "4.1.2", "Minimize access to secrets",
    "4.1.3", "Minimize wildcard use in Roles and ClusterRoles",
    "4.1.4", "Minimize access to create pods",
    "4.1.5", "Ensure that default service accounts are not actively used",
    "4.1.6", "Ensure that Service Account Tokens are only mounted where necessary",
    "4.1.7", "Avoid use of system:masters group",
    "4.1.8", "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    "4.2.1", "Minimize the admission of privileged containers",
    "4.2.2", "Minimize the admission of containers wishing to share the host process ID namespace",
    "4.2.3", "Minimize the admission of containers wishing to share the host IPC namespace",
    "4.2.4", "Minimize the admission of containers wishing to share the host network namespace",
    "4.2.5", "Minimize the admission of containers with allowPrivilegeEscalation",
    "4.3.1", "Ensure CNI plugin supports network policies",
    "4.3.2", "Ensure that all Namespaces have Network Policies defined",
    "4.4.1", "Prefer using secrets as files over secrets as environment variables",
    "4.4.2", "Consider external secret storage",
    "4.5.1", "Create administrative boundaries between resources using namespaces",
    "4.5.2", "Apply Security Context to Your Pods and Containers",
    "4.5.3", "The default namespace should not be used",
    "5.1.1", "Ensure Image Vulnerability Scanning using Amazon ECR image scanning or a third party provider",
    "5.1.2", "Minimize user access to Amazon ECR",
    "5.1.3", "Minimize cluster access to read-only for Amazon ECR",
    "5.1.4", "Minimize Container Registries to only those approved",
    "5.2.1", "Prefer using dedicated Amazon EKS Service Accounts",
    "5.3.1", "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS",
    "5.4.1", "Restrict Access to the Control Plane Endpoint",
    "5.4.2", "Ensure clusters are created with Private Endpoint Enabled and Public Access Disabled",
    "5.4.3", "Ensure clusters are created with Private Nodes",
    "5.4.4", "Ensure Network Policy is Enabled and set as appropriate",
    "5.4.5", "Encrypt traffic to HTTPS load balancers with TLS certificates",
    "5.5.1", "Manage Kubernetes RBAC users with AWS IAM Authenticator for Kubernetes or Upgrade to AWS CLI "
             "v1.16.156 or greater",
), "every recommendation of v1.5.0")

_PSS_BASELINE = ("HostProcess", "Host Namespaces", "Privileged Containers", "Capabilities", "HostPath Volumes",
                 "Host Ports", "AppArmor", "SELinux", "/proc Mount Type", "Seccomp", "Sysctls")
_PSS_RESTRICTED = ("Volume Types", "Privilege Escalation", "Running as Non-root", "Running as Non-root user",
                   "Seccomp", "Capabilities")
PSS_CATALOGUE = Catalogue(PSS, (
    *(CatalogueEntry(f"Baseline: {c}", f"Pod Security Standards, baseline profile: {c}") for c in _PSS_BASELINE),
    *(CatalogueEntry(f"Restricted: {c}", f"Pod Security Standards, restricted profile: {c}") for c in _PSS_RESTRICTED),
    CatalogueEntry("enforce", "Pod Security Admission enforces a Pod Security Standards profile on a namespace"),
), "every control of the baseline and restricted profiles, and their enforcement per namespace")

# SP 800-190 section 4: the countermeasures for each risk of section 3, numbered alike.
NIST_800_190_CATALOGUE = Catalogue(NIST_800_190, _entries(
    "4.1.1", "Image vulnerabilities",
    "4.1.2", "Image configuration defects",
    "4.1.3", "Embedded malware",
    "4.1.4", "Embedded clear text secrets",
    "4.1.5", "Use of untrusted images",
    "4.2.1", "Insecure connections to registries",
    "4.2.2", "Stale images in registries",
    "4.2.3", "Insufficient authentication and authorization restrictions",
    "4.3.1", "Unbounded administrative access",
    "4.3.2", "Unauthorized access",
    "4.3.3", "Poorly separated inter-container network traffic",
    "4.3.4", "Mixing of workload sensitivity levels",
    "4.3.5", "Orchestrator node trust",
    "4.4.1", "Vulnerabilities within the runtime software",
    "4.4.2", "Unbounded network access from containers",
    "4.4.3", "Insecure container runtime configurations",
    "4.4.4", "App vulnerabilities",
    "4.4.5", "Rogue containers",
    "4.5.1", "Large attack surface",
    "4.5.2", "Shared kernel",
    "4.5.3", "Host OS component vulnerabilities",
    "4.5.4", "Improper user access rights",
    "4.5.5", "Host file system tampering",
    "4.6", "Hardware countermeasures",
), "every countermeasure of section 4")

# Security Hub controls of the services this stack creates (the standard spans every AWS service).
AWS_FSBP_CATALOGUE = Catalogue(AWS_FSBP, _entries(
    "CloudWatch.16", "CloudWatch log groups should be retained for a specified time period",
    "EC2.1", "Amazon EBS snapshots should not be publicly restorable",
    "EC2.2", "VPC default security groups should not allow inbound or outbound traffic",
    "EC2.3", "Attached Amazon EBS volumes should be encrypted at-rest",
    "EC2.6", "VPC flow logging should be enabled in all VPCs",
    "EC2.7", "EBS default encryption should be enabled",
    "EC2.8", "Amazon EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)",
    "EC2.9", "Amazon EC2 instances should not have a public IPv4 address",
    "EC2.10", "Amazon EC2 should be configured to use VPC endpoints that are created for the Amazon EC2 service",
    "EC2.15", "Amazon EC2 subnets should not automatically assign public IP addresses",
    "EC2.16", "Unused Network Access Control Lists should be removed",
    "EC2.17", "Amazon EC2 instances should not use multiple ENIs",
    "EC2.18", "Security groups should only allow unrestricted incoming traffic for authorized ports",
    "EC2.19", "Security groups should not allow unrestricted access to ports with high risk",
    "EC2.21", "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389",
    "EC2.25", "Amazon EC2 launch templates should not assign public IPs to network interfaces",
    "EC2.53", "EC2 security groups should not allow ingress from 0.0.0.0/0 to remote server administration ports",
    "EC2.54", "EC2 security groups should not allow ingress from ::/0 to remote server administration ports",
    "ECR.1", "ECR private repositories should have image scanning configured",
    "ECR.2", "ECR private repositories should have tag immutability configured",
    "ECR.3", "ECR repositories should have at least one lifecycle policy configured",
    "ECR.5", "ECR repositories should be encrypted with customer managed AWS KMS keys",
    "EKS.1", "EKS cluster endpoints should not be publicly accessible",
    "EKS.2", "EKS clusters should run on a supported Kubernetes version",
    "EKS.3", "EKS clusters should use encrypted Kubernetes secrets",
    "EKS.8", "EKS clusters should have audit logging enabled",
    "IAM.1", "IAM policies should not allow full \"*\" administrative privileges",
    "IAM.2", "IAM users should not have IAM policies attached",
    "IAM.3", "IAM users' access keys should be rotated every 90 days or less",
    "IAM.4", "IAM root user access key should not exist",
    "IAM.5", "MFA should be enabled for all IAM users that have a console password",
    "IAM.6", "Hardware MFA should be enabled for the root user",
    "IAM.7", "Password policies for IAM users should have strong configurations",
    "IAM.8", "Unused IAM user credentials should be removed",
    "IAM.21", "IAM customer managed policies that you create should not allow wildcard actions for services",
    "KMS.1", "IAM customer managed policies should not allow decryption actions on all KMS keys",
    "KMS.2", "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys",
    "KMS.3", "AWS KMS keys should not be deleted unintentionally",
    "KMS.4", "AWS KMS key rotation should be enabled",
    "KMS.5", "KMS keys should not be publicly accessible",
    "S3.1", "S3 general purpose buckets should have block public access settings enabled",
    "S3.2", "S3 general purpose buckets should block public read access",
    "S3.3", "S3 general purpose buckets should block public write access",
    "S3.5", "S3 general purpose buckets should require requests to use SSL",
    "S3.6", "S3 general purpose bucket policies should restrict access to other AWS accounts",
    "S3.8", "S3 general purpose buckets should block public access",
    "S3.9", "S3 general purpose buckets should have server access logging enabled",
    "S3.12", "ACLs should not be used to manage user access to S3 general purpose buckets",
    "S3.13", "S3 general purpose buckets should have Lifecycle configurations",
    "S3.14", "S3 general purpose buckets should have versioning enabled",
    "S3.15", "S3 general purpose buckets should have Object Lock enabled",
    "S3.17", "S3 general purpose buckets should be encrypted at rest with AWS KMS keys",
    "SecretsManager.1", "Secrets Manager secrets should have automatic rotation enabled",
    "SecretsManager.2", "Secrets Manager secrets configured with automatic rotation should rotate successfully",
    "SecretsManager.3", "Remove unused Secrets Manager secrets",
    "SecretsManager.4", "Secrets Manager secrets should be rotated within a specified number of days",
), "the controls of the services this stack creates: CloudWatch Logs, EC2 and VPC, ECR, EKS, IAM, KMS, S3, "
   "Secrets Manager")

CATALOGUES = (CIS_EKS_CATALOGUE, PSS_CATALOGUE, NIST_800_190_CATALOGUE, AWS_FSBP_CATALOGUE)
# Frameworks some rules also claim, listed in the matrix by the controls claimed alone.
CLAIMED_ONLY = (CIS_K8S, NIST_800_53)
