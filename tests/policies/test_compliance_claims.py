"""Every compliance claim a rule makes has a reason: what the benchmark asks, and which part of it the
rule checks. A rule that passes must mean the claimed control (or the named part of it) is met; where
it would pass while the control is not met, the claim is an overclaim and is not made.

CONTROL_TITLES holds the benchmark's own title for every control any rule may claim, in the version
policies/frameworks.py declares (CIS Amazon EKS 1.5.0 numbering: 4.1.7 is system:masters there, the
Cluster Access Manager in 1.7.0). CLAIMS holds, per rule, each control it claims and why. A new
claim fails here until it has both.
"""
import pytest

from policies import pack

CIS_EKS = "CIS Amazon EKS Benchmark"
CIS_K8S = "CIS Kubernetes Benchmark"
NIST_190 = "NIST SP 800-190"
NIST_53 = "NIST SP 800-53"
FSBP = "AWS Foundational Security Best Practices"
PSS = "Kubernetes Pod Security Standards"

CONTROL_TITLES = {
    f"{CIS_EKS} 2.1.1": "Enable audit Logs",
    f"{CIS_EKS} 4.1.1": "Ensure that the cluster-admin role is only used where required",
    f"{CIS_EKS} 4.1.2": "Minimize access to secrets",
    f"{CIS_EKS} 4.1.3": "Minimize wildcard use in Roles and ClusterRoles",
    f"{CIS_EKS} 4.1.5": "Ensure that default service accounts are not actively used",
    f"{CIS_EKS} 4.1.6": "Ensure that Service Account Tokens are only mounted where necessary",
    f"{CIS_EKS} 4.1.8": "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    f"{CIS_EKS} 4.2.1": "Minimize the admission of privileged containers",
    f"{CIS_EKS} 4.2.2": "Minimize the admission of containers wishing to share the host process ID namespace",
    f"{CIS_EKS} 4.2.3": "Minimize the admission of containers wishing to share the host IPC namespace",
    f"{CIS_EKS} 4.2.4": "Minimize the admission of containers wishing to share the host network namespace",
    f"{CIS_EKS} 4.2.5": "Minimize the admission of containers with allowPrivilegeEscalation",
    f"{CIS_EKS} 4.3.1": "Ensure CNI plugin supports network policies",
    f"{CIS_EKS} 4.3.2": "Ensure that all Namespaces have Network Policies defined",
    f"{CIS_EKS} 4.4.1": "Prefer using secrets as files over secrets as environment variables",
    f"{CIS_EKS} 4.5.2": "Apply Security Context to Your Pods and Containers",
    f"{CIS_EKS} 4.5.3": "The default namespace should not be used",
    f"{CIS_EKS} 5.1.1": "Ensure Image Vulnerability Scanning using Amazon ECR image scanning or a third party provider",
    f"{CIS_EKS} 5.1.2": "Minimize user access to Amazon ECR",
    f"{CIS_EKS} 5.1.4": "Minimize Container Registries to only those approved",
    f"{CIS_EKS} 5.2.1": "Prefer using dedicated Amazon EKS Service Accounts",
    f"{CIS_EKS} 5.3.1": "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS",
    f"{CIS_EKS} 5.4.1": "Restrict Access to the Control Plane Endpoint",
    f"{CIS_EKS} 5.4.3": "Ensure clusters are created with Private Nodes",
    f"{CIS_EKS} 5.4.4": "Ensure Network Policy is Enabled and set as appropriate",
    f"{CIS_EKS} 5.4.5": "Encrypt traffic to HTTPS load balancers with TLS certificates",
    f"{CIS_EKS} 5.5.1": "Manage Kubernetes RBAC users with AWS IAM Authenticator for Kubernetes or Upgrade to AWS CLI "
                        "v1.16.156 or greater",
    f"{CIS_K8S} 5.1.1": "Ensure that the cluster-admin role is only used where required",
    f"{CIS_K8S} 5.1.2": "Minimize access to secrets",
    f"{CIS_K8S} 5.1.3": "Minimize wildcard use in Roles and ClusterRoles",
    f"{CIS_K8S} 5.1.5": "Ensure that default service accounts are not actively used",
    f"{CIS_K8S} 5.1.6": "Ensure that Service Account Tokens are only mounted where necessary",
    f"{CIS_K8S} 5.1.8": "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    f"{CIS_K8S} 5.1.10": "Minimize access to the proxy sub-resource of nodes",
    f"{CIS_K8S} 5.1.11": "Minimize access to the approval sub-resource of certificatesigningrequests objects",
    f"{CIS_K8S} 5.1.12": "Minimize access to webhook configuration objects",
    f"{CIS_K8S} 5.1.13": "Minimize access to the service account token creation",
    f"{CIS_K8S} 5.2.1": "Ensure that the cluster has at least one active policy control mechanism in place",
    f"{CIS_K8S} 5.2.2": "Minimize the admission of privileged containers",
    f"{CIS_K8S} 5.2.3": "Minimize the admission of containers wishing to share the host process ID namespace",
    f"{CIS_K8S} 5.2.4": "Minimize the admission of containers wishing to share the host IPC namespace",
    f"{CIS_K8S} 5.2.5": "Minimize the admission of containers wishing to share the host network namespace",
    f"{CIS_K8S} 5.2.6": "Minimize the admission of containers with allowPrivilegeEscalation",
    f"{CIS_K8S} 5.2.7": "Minimize the admission of root containers",
    f"{CIS_K8S} 5.2.8": "Minimize the admission of containers with the NET_RAW capability",
    f"{CIS_K8S} 5.2.9": "Minimize the admission of containers with added capabilities",
    f"{CIS_K8S} 5.2.10": "Minimize the admission of containers with capabilities assigned",
    f"{CIS_K8S} 5.2.11": "Minimize the admission of Windows HostProcess containers",
    f"{CIS_K8S} 5.2.12": "Minimize the admission of HostPath volumes",
    f"{CIS_K8S} 5.2.13": "Minimize the admission of containers which use HostPorts",
    f"{CIS_K8S} 5.3.1": "Ensure that the CNI in use supports NetworkPolicies",
    f"{CIS_K8S} 5.3.2": "Ensure that all Namespaces have NetworkPolicies defined",
    f"{CIS_K8S} 5.4.1": "Prefer using Secrets as files over Secrets as environment variables",
    f"{CIS_K8S} 5.7.2": "Ensure that the seccomp profile is set to docker/default in your Pod definitions",
    f"{CIS_K8S} 5.7.3": "Apply SecurityContext to your Pods and Containers",
    f"{CIS_K8S} 5.7.4": "The default namespace should not be used",
    # SP 800-190 section 4: the countermeasure for each risk of section 3, numbered alike.
    f"{NIST_190} 4.1.1": "Image vulnerabilities",
    f"{NIST_190} 4.1.2": "Image configuration defects",
    f"{NIST_190} 4.1.4": "Embedded clear text secrets",
    f"{NIST_190} 4.1.5": "Use of untrusted images",
    f"{NIST_190} 4.2.2": "Stale images in registries",
    f"{NIST_190} 4.2.3": "Insufficient authentication and authorization restrictions",
    f"{NIST_190} 4.3.1": "Unbounded administrative access",
    f"{NIST_190} 4.3.2": "Unauthorized access",
    f"{NIST_190} 4.3.3": "Poorly separated inter-container network traffic",
    f"{NIST_190} 4.4.1": "Vulnerabilities within the runtime software",
    f"{NIST_190} 4.4.2": "Unbounded network access from containers",
    f"{NIST_190} 4.4.3": "Insecure container runtime configurations",
    f"{NIST_190} 4.4.4": "App vulnerabilities",
    f"{NIST_190} 4.5.4": "Improper user access rights",
    f"{NIST_53} AC-3": "Access Enforcement",
    f"{NIST_53} AC-14": "Permitted Actions Without Identification or Authentication",
    f"{NIST_53} AU-6": "Audit Record Review, Analysis, and Reporting",
    f"{NIST_53} AU-9": "Protection of Audit Information",
    f"{NIST_53} AU-11": "Audit Record Retention",
    f"{NIST_53} CA-5": "Plan of Action and Milestones",
    f"{NIST_53} CM-2": "Baseline Configuration",
    f"{NIST_53} IA-5": "Authenticator Management",
    f"{NIST_53} SA-22": "Unsupported System Components",
    f"{NIST_53} SC-7": "Boundary Protection",
    f"{NIST_53} SC-8": "Transmission Confidentiality and Integrity",
    f"{NIST_53} SC-12": "Cryptographic Key Establishment and Management",
    f"{NIST_53} SC-28": "Protection of Information at Rest",
    f"{NIST_53} SI-4": "System Monitoring",
    f"{FSBP} CloudWatch.16": "CloudWatch log groups should be retained for a specified time period",
    f"{FSBP} EC2.3": "Attached Amazon EBS volumes should be encrypted at-rest",
    f"{FSBP} EC2.6": "VPC flow logging should be enabled in all VPCs",
    f"{FSBP} EC2.8": "Amazon EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)",
    f"{FSBP} EC2.9": "Amazon EC2 instances should not have a public IPv4 address",
    f"{FSBP} EC2.18": "Security groups should only allow unrestricted incoming traffic for authorized ports",
    f"{FSBP} ECR.1": "ECR private repositories should have image scanning configured",
    f"{FSBP} ECR.2": "ECR private repositories should have tag immutability configured",
    f"{FSBP} ECR.3": "ECR repositories should have at least one lifecycle policy configured",
    f"{FSBP} ECR.5": "ECR repositories should be encrypted with customer managed AWS KMS keys",
    f"{FSBP} EKS.2": "EKS clusters should run on a supported Kubernetes version",
    f"{FSBP} EKS.3": "EKS clusters should use encrypted Kubernetes secrets",
    f"{FSBP} EKS.8": "EKS clusters should have audit logging enabled",
    f"{FSBP} IAM.1": "IAM policies should not allow full \"*\" administrative privileges",
    f"{FSBP} IAM.21": "IAM customer managed policies that you create should not allow wildcard actions for services",
    f"{FSBP} KMS.3": "AWS KMS keys should not be deleted unintentionally",
    f"{FSBP} KMS.4": "AWS KMS key rotation should be enabled",
    f"{FSBP} KMS.5": "KMS keys should not be publicly accessible",
    f"{FSBP} S3.5": "S3 general purpose buckets should require requests to use SSL",
    f"{FSBP} S3.8": "S3 general purpose buckets should block public access",
    f"{FSBP} S3.14": "S3 general purpose buckets should have versioning enabled",
    f"{FSBP} S3.15": "S3 general purpose buckets should have Object Lock enabled",
    f"{FSBP} S3.17": "S3 general purpose buckets should be encrypted at rest with AWS KMS keys",
    **{f"{PSS} {profile}: {control}": f"Pod Security Standards, {profile.lower()} profile: {control}" for profile, control in (
        ("Baseline", "Host Namespaces"), ("Baseline", "Privileged Containers"), ("Baseline", "Capabilities"),
        ("Baseline", "HostPath Volumes"), ("Baseline", "Host Ports"), ("Baseline", "HostProcess"),
        ("Baseline", "AppArmor"), ("Baseline", "SELinux"), ("Baseline", "/proc Mount Type"), ("Baseline", "Seccomp"),
        ("Baseline", "Sysctls"), ("Restricted", "Volume Types"), ("Restricted", "Privilege Escalation"),
        ("Restricted", "Running as Non-root"), ("Restricted", "Running as Non-root user"), ("Restricted", "Seccomp"),
        ("Restricted", "Capabilities"),
    )},
    f"{PSS} enforce": "Pod Security Admission enforces a Pod Security Standards profile on a namespace",
}

SECURITY_CONTEXT = "one of the security context settings 5.7.3 / 4.5.2 ask for (CIS Docker Benchmark list)"

CLAIMS = {
    # --- EKS cluster, logs, nodes, addons -------------------------------------------------------
    "eks-control-plane-logs-all-types": {
        f"{CIS_EKS} 2.1.1": "checks all five log types 2.1.1's remediation enables, audit among them",
        f"{FSBP} EKS.8": "audit logging is one of the types the rule requires",
    },
    "eks-secrets-encryption-cmk": {
        f"{CIS_EKS} 5.3.1": "checks secrets envelope encryption with a customer-managed KMS key",
        f"{FSBP} EKS.3": "checks the cluster encrypts its Kubernetes secrets",
    },
    "eks-public-endpoint-restricted": {
        f"{CIS_EKS} 5.4.1": "checks the public endpoint is off or limited to allowed CIDRs, never the internet. Not "
                            "5.4.2 or EKS.1: where the environment allows a public endpoint the rule passes one",
    },
    "eks-private-endpoint-enabled": {
        f"{CIS_EKS} 5.4.1": "checks private endpoint access, 5.4.1's first step. Not 5.4.2: the rule passes with the "
                            "public endpoint on",
    },
    "eks-supported-version": {f"{FSBP} EKS.2": "checks the pinned version is one EKS supports"},
    "eks-api-authentication-mode": {
        f"{CIS_EKS} 5.5.1": "checks access is managed through IAM-backed access entries (API mode), not a ConfigMap",
    },
    "eks-no-bootstrap-creator-admin": {
        f"{CIS_EKS} 4.1.1": "checks the creator gets no implicit cluster-admin access entry. Not 4.1.7: that entry "
                            "is a cluster admin policy, not the system:masters group",
    },
    "eks-control-plane-log-group-managed": {
        f"{NIST_53} AU-9": "checks the audit log group is the stack's, so its key and retention protect the logs. "
                           "Not CIS 2.1.1: creating the group does not enable any log type",
    },
    "cloudwatch-log-group-kms": {f"{NIST_53} SC-28": "checks logs at rest are encrypted with a customer-managed key"},
    "cloudwatch-log-group-retention": {
        f"{FSBP} CloudWatch.16": "checks retention meets the environment's minimum. Not CIS 2.1.1: retention does "
                                 "not enable audit logs",
    },
    "nodegroup-private-subnets": {
        f"{CIS_EKS} 5.4.3": "checks nodes run in private subnets",
        f"{FSBP} EC2.9": "checks nodes get no public IPv4 address",
    },
    "nodegroup-no-ssh": {f"{NIST_190} 4.5.4": "checks no remote login to the hosts (no SSH access, no key pair)"},
    "nodegroup-imdsv2-required": {f"{FSBP} EC2.8": "checks IMDSv2 is required"},
    "nodegroup-volumes-encrypted": {
        f"{FSBP} EC2.3": "checks the nodes' volumes are encrypted. Not EC2.7: that is the account's default setting",
    },
    "eks-vpc-cni-network-policy": {
        f"{CIS_EKS} 5.4.4": "checks NetworkPolicy enforcement is on in the CNI wherever the stack declares policies "
                            "(k8s-default-deny-network-policy requires them)",
        f"{CIS_EKS} 4.3.1": "checks the CNI in use enforces NetworkPolicies",
        f"{CIS_K8S} 5.3.1": "checks the CNI in use enforces NetworkPolicies",
    },
    "eks-ebs-csi-irsa": {f"{CIS_EKS} 5.2.1": "checks the addon uses its own IRSA service account, not the node role"},
    # --- Registry, keys, IAM, S3, VPC -----------------------------------------------------------
    "ecr-immutable-tags": {
        f"{FSBP} ECR.2": "checks tag immutability",
        f"{NIST_190} 4.2.2": "immutable tags make every name a discrete version, as the countermeasure asks",
    },
    "ecr-scan-on-push": {
        f"{CIS_EKS} 5.1.1": "checks ECR scans every image on push",
        f"{FSBP} ECR.1": "checks image scanning is configured",
        f"{NIST_190} 4.1.1": "vulnerability scanning of every image the pipeline pushes",
    },
    "ecr-kms-encryption": {f"{FSBP} ECR.5": "checks a customer-managed KMS key"},
    "ecr-lifecycle-policy": {
        f"{FSBP} ECR.3": "checks a lifecycle policy exists",
        f"{NIST_190} 4.2.2": "a lifecycle policy prunes stale images, the countermeasure's first method. Not 4.2.3: "
                             "it grants or restricts no access",
    },
    "ecr-repository-policy-no-wildcard-principal": {
        f"{CIS_EKS} 5.1.2": "checks the repository policy grants nothing to everyone",
        f"{NIST_190} 4.2.3": "checks who may read and write the registry is restricted",
    },
    "kms-key-rotation": {f"{FSBP} KMS.4": "checks rotation on symmetric keys"},
    "kms-no-lockout-bypass": {f"{NIST_53} SC-12": "checks key policies keep the lockout safety check"},
    "kms-key-policy-no-wildcard-principal": {f"{FSBP} KMS.5": "checks the key policy grants nothing to everyone"},
    "kms-deletion-window": {
        f"{FSBP} KMS.3": "checks the waiting period that lets an unintended deletion be cancelled",
    },
    "iam-role-trust-no-wildcard-principal": {
        f"{NIST_53} AC-3": "checks who may assume the role is named. Not FSBP IAM.1: that control is about admin "
                           "permissions, not trust",
    },
    "iam-no-wildcard-action": {f"{FSBP} IAM.21": "checks no wildcard actions"},
    "iam-no-admin-policy": {f"{FSBP} IAM.1": "checks no '*' on '*' and no managed admin policy"},
    "iam-irsa-trust-pinned": {f"{CIS_EKS} 5.2.1": "checks each IRSA role trusts exactly one service account"},
    "iam-ci-oidc-trust-pinned": {
        f"{NIST_190} 4.2.3": "checks only the named repository's pipeline can take the role that writes the registry",
    },
    "s3-public-access-block": {f"{FSBP} S3.8": "checks all four public access block settings"},
    "s3-encryption-kms": {f"{FSBP} S3.17": "checks default encryption with SSE-KMS"},
    "s3-versioning": {f"{FSBP} S3.14": "checks versioning"},
    "s3-tls-only": {f"{FSBP} S3.5": "checks the bucket policy denies requests without TLS"},
    "s3-evidence-object-lock": {
        f"{FSBP} S3.15": "checks Object Lock on the evidence bucket, the one bucket whose objects must never change. "
                         "Not on every bucket: backups expire by lifecycle, which a lock would block",
        f"{NIST_53} AU-9": "checks the evidence bundles (reports, audit exports) cannot be deleted or overwritten, "
                           "by anyone, while their retention runs",
        f"{NIST_53} AU-11": "checks they are kept at least the configured days",
    },
    "vpc-flow-logs-enabled": {
        f"{FSBP} EC2.6": "checks flow logs on every VPC. Not SP 800-190 4.3.3: logging separates no traffic",
    },
    "vpc-no-open-ingress": {
        f"{FSBP} EC2.18": "checks the internet reaches only the ports the environment authorizes. Not EC2.19: the "
                          "authorized ports are configuration and could include a high-risk one",
    },
    # --- Workloads (the catalogue) ----------------------------------------------------------------
    "k8s-no-latest-image": {
        f"{NIST_190} 4.2.2": "the countermeasure deploys discrete versions (my-app:2.3), never a moving name. Not "
                             "4.1.1: a tag says nothing about the image's vulnerabilities",
    },
    "k8s-resources-required": {
        f"{NIST_190} 4.4.3": "the runtime configuration standard the countermeasure names (CIS Docker Benchmark) "
                             "limits memory and CPU. Not 4.4.1 (runtime software vulnerabilities) nor CIS 5.7.3 "
                             "(resources are not a security context)",
    },
    "k8s-no-plaintext-secret-env": {
        f"{NIST_190} 4.1.4": "secrets come from the orchestrator's secret store at runtime, not written into the "
                             "deployment. Not 4.1.2 (image configuration), nor CIS 4.4.1 / 5.4.1: a secretKeyRef "
                             "environment variable passes this rule",
    },
    "k8s-image-registry-allowed": {
        f"{CIS_EKS} 5.1.4": "checks images come from the approved registries only",
        f"{NIST_190} 4.1.5": "only images from the trusted registries run",
    },
    "k8s-image-digest-pinned": {
        f"{NIST_190} 4.1.5": "signed images run by digest, which the Kyverno twin verifies against the signing key",
        f"{NIST_190} 4.2.2": "a digest is an immutable name for one discrete version",
    },
    "k8s-run-as-non-root": {
        f"{CIS_EKS} 4.5.2": f"checks runAsNonRoot and runAsUser, {SECURITY_CONTEXT}",
        f"{CIS_K8S} 5.2.7": "checks root containers are not admitted",
        f"{PSS} Restricted: Running as Non-root": "checks runAsNonRoot true",
        f"{PSS} Restricted: Running as Non-root user": "checks runAsUser is not 0",
    },
    "k8s-no-privilege-escalation": {
        f"{CIS_EKS} 4.2.5": "checks allowPrivilegeEscalation false on every container",
        f"{CIS_K8S} 5.2.6": "checks allowPrivilegeEscalation false on every container",
        f"{PSS} Restricted: Privilege Escalation": "checks allowPrivilegeEscalation false",
    },
    "k8s-read-only-root-fs": {
        f"{NIST_190} 4.4.4": "the countermeasure runs containers with their root filesystem read-only",
        f"{CIS_K8S} 5.7.3": f"checks readOnlyRootFilesystem, {SECURITY_CONTEXT}",
    },
    "k8s-drop-all-capabilities": {
        f"{CIS_K8S} 5.2.10": "checks every container drops ALL capabilities",
        f"{CIS_K8S} 5.2.8": "dropping ALL removes NET_RAW, and only NET_BIND_SERVICE may come back",
        f"{CIS_EKS} 4.5.2": f"checks the capabilities setting, {SECURITY_CONTEXT}",
        f"{PSS} Restricted: Capabilities": "checks drop ALL and add at most NET_BIND_SERVICE",
    },
    "k8s-seccomp-profile": {
        f"{CIS_K8S} 5.7.2": "checks the RuntimeDefault (docker/default) or a Localhost profile",
        f"{PSS} Restricted: Seccomp": "checks RuntimeDefault or Localhost on pod or every container",
        f"{PSS} Baseline: Seccomp": "the restricted check also rejects Unconfined, all baseline forbids",
    },
    "k8s-no-privileged": {
        f"{CIS_EKS} 4.2.1": "checks no container is privileged",
        f"{CIS_K8S} 5.2.2": "checks no container is privileged",
        f"{PSS} Baseline: Privileged Containers": "checks privileged is not true",
    },
    "k8s-no-host-namespaces": {
        f"{CIS_EKS} 4.2.2": "checks hostPID", f"{CIS_EKS} 4.2.3": "checks hostIPC", f"{CIS_EKS} 4.2.4": "checks hostNetwork",
        f"{CIS_K8S} 5.2.3": "checks hostPID", f"{CIS_K8S} 5.2.4": "checks hostIPC", f"{CIS_K8S} 5.2.5": "checks hostNetwork",
        f"{PSS} Baseline: Host Namespaces": "checks hostNetwork, hostPID and hostIPC",
    },
    "k8s-no-host-path": {
        f"{CIS_K8S} 5.2.12": "checks pods mount no hostPath volume",
        f"{PSS} Baseline: HostPath Volumes": "checks pods mount no hostPath volume",
    },
    "k8s-no-host-path-persistent-volume": {
        f"{CIS_K8S} 5.2.12": "checks no PersistentVolume reaches a host path through a claim",
    },
    "k8s-restricted-volume-types": {f"{PSS} Restricted: Volume Types": "checks only the restricted volume types"},
    "k8s-no-host-ports": {
        f"{CIS_K8S} 5.2.13": "checks no container binds a hostPort",
        f"{PSS} Baseline: Host Ports": "checks no container binds a hostPort",
    },
    "k8s-capabilities-baseline": {
        f"{CIS_K8S} 5.2.9": "checks no capability beyond the baseline's default set is added",
        f"{PSS} Baseline: Capabilities": "checks added capabilities against the baseline list",
    },
    "k8s-no-host-process": {
        f"{CIS_K8S} 5.2.11": "checks windowsOptions.hostProcess is not true",
        f"{PSS} Baseline: HostProcess": "checks windowsOptions.hostProcess is not true",
    },
    "k8s-proc-mount-default": {f"{PSS} Baseline: /proc Mount Type": "checks procMount is Default"},
    "k8s-safe-sysctls": {f"{PSS} Baseline: Sysctls": "checks only the safe sysctls"},
    "k8s-selinux-options": {f"{PSS} Baseline: SELinux": "checks the SELinux type and that user and role are unset"},
    "k8s-apparmor-profile": {f"{PSS} Baseline: AppArmor": "checks the profile is RuntimeDefault or Localhost"},
    "k8s-probes-required": {
        f"{NIST_190} 4.4.3": "the runtime configuration standard the countermeasure names (CIS Docker Benchmark) "
                             "checks container health at runtime",
    },
    "k8s-no-default-namespace": {
        f"{CIS_EKS} 4.5.3": "checks workloads are not in default",
        f"{CIS_K8S} 5.7.4": "checks workloads are not in default",
    },
    "k8s-no-sa-token-automount": {
        f"{CIS_EKS} 4.1.6": "checks pods do not automount the token",
        f"{CIS_K8S} 5.1.6": "checks pods do not automount the token",
    },
    "k8s-secrets-as-files": {
        f"{CIS_EKS} 4.4.1": "checks no secret reaches a container as an environment variable (secretKeyRef)",
        f"{CIS_K8S} 5.4.1": "checks no secret reaches a container as an environment variable (secretKeyRef)",
    },
    "k8s-namespace-psa-restricted": {
        f"{PSS} enforce": "checks every namespace enforces the restricted profile",
        f"{CIS_EKS} 4.2.1": "4.2.1's remediation is this label: enforce=restricted on each namespace",
    },
    # --- Network, exposure ------------------------------------------------------------------------
    "k8s-network-policy-no-open-ingress": {
        f"{NIST_53} SC-7": "checks no NetworkPolicy opens pods to the internet. Not CIS 4.3.2 (it does not check "
                           "namespaces have policies) nor SP 800-190 4.4.2 (that is traffic from containers)",
    },
    "k8s-default-deny-network-policy": {
        f"{CIS_EKS} 4.3.2": "checks every namespace with workloads has a (default-deny) NetworkPolicy",
        f"{CIS_K8S} 5.3.2": "checks every namespace with workloads has a (default-deny) NetworkPolicy",
        f"{NIST_190} 4.4.2": "default deny includes egress: containers reach only declared paths",
    },
    "k8s-workload-network-policy": {
        f"{CIS_EKS} 4.3.2": "every workload's namespace has a policy selecting it. Not SP 800-190 4.4.2: a "
                            "selecting policy may leave egress open",
    },
    "k8s-service-type-restricted": {
        f"{NIST_53} SC-7": "checks Services are reached from outside only through the managed ingress. Not SP 800-190 "
                           "4.4.2: that is traffic from containers",
    },
    "k8s-ingress-tls": {
        f"{CIS_EKS} 5.4.5": "checks the Ingress (the load balancer's configuration) terminates TLS for every host",
        f"{NIST_53} SC-8": "checks traffic to every host is encrypted in transit",
    },
    "k8s-ingress-explicit-hosts": {
        f"{NIST_53} SC-7": "checks the boundary answers only for the names it declares",
    },
    # --- RBAC, service accounts -------------------------------------------------------------------
    "k8s-rbac-no-wildcards": {
        f"{CIS_EKS} 4.1.3": "checks no '*' in roles", f"{CIS_K8S} 5.1.3": "checks no '*' in roles",
    },
    "k8s-rbac-no-cluster-admin-binding": {
        f"{CIS_EKS} 4.1.1": "checks no binding grants cluster-admin",
        f"{CIS_K8S} 5.1.1": "checks no binding grants cluster-admin. Not 4.1.7 / 5.1.7: binding a role to "
                            "system:masters puts no one in that group",
    },
    "k8s-rbac-no-escalation-verbs": {
        f"{CIS_EKS} 4.1.8": "checks bind, escalate and impersonate where they act",
        f"{CIS_K8S} 5.1.8": "checks bind, escalate and impersonate where they act",
    },
    "k8s-rbac-no-binding-to-everyone": {
        f"{NIST_190} 4.3.2": "checks no role is granted to unauthenticated or every authenticated user",
        f"{NIST_53} AC-14": "checks no action is permitted to anonymous or unauthenticated requests",
    },
    "k8s-rbac-no-cluster-secret-read": {
        f"{CIS_EKS} 4.1.2": "checks get, list and watch on secrets cluster-wide",
        f"{CIS_K8S} 5.1.2": "checks get, list and watch on secrets cluster-wide",
    },
    "k8s-rbac-no-pod-exec": {
        f"{NIST_190} 4.3.1": "checks no role may run commands inside others' containers: least privilege on the "
                             "orchestrator",
    },
    "k8s-rbac-no-node-proxy": {f"{CIS_K8S} 5.1.10": "checks every verb on nodes/proxy"},
    "k8s-rbac-no-csr-approval": {f"{CIS_K8S} 5.1.11": "checks update on the approval subresource (and signer approve)"},
    "k8s-rbac-no-webhook-config-write": {f"{CIS_K8S} 5.1.12": "checks writes to both webhook configuration kinds"},
    "k8s-rbac-no-sa-token-create": {f"{CIS_K8S} 5.1.13": "checks create on serviceaccounts/token"},
    "k8s-rbac-no-service-status-write": {
        f"{NIST_190} 4.3.1": "checks no role may redirect Service traffic: least privilege on the orchestrator",
    },
    "k8s-no-default-service-account": {
        f"{CIS_EKS} 4.1.5": "checks workloads do not run as a default account",
        f"{CIS_K8S} 5.1.5": "checks workloads do not run as a default account",
    },
    "k8s-no-default-service-account-binding": {
        f"{CIS_EKS} 4.1.5": "checks bindings do not grant a role to a default account",
        f"{CIS_K8S} 5.1.5": "checks bindings do not grant a role to a default account",
    },
    "k8s-service-account-no-automount": {
        f"{CIS_EKS} 4.1.6": "checks service accounts do not automount their token",
        f"{CIS_K8S} 5.1.6": "checks service accounts do not automount their token",
    },
    "k8s-no-service-account-token-secret": {
        f"{NIST_53} IA-5": "checks no authenticator is kept that never expires",
    },
    "k8s-api-version-removed": {
        f"{NIST_53} SA-22": "checks no resource depends on an API version Kubernetes no longer supports",
    },
    "k8s-api-version-deprecated": {
        f"{NIST_53} SA-22": "checks no resource depends on an API version Kubernetes has scheduled out of support",
    },
    # --- Installs -----------------------------------------------------------------------------------
    "kyverno-policies-present": {
        f"{NIST_190} 4.1.5": "checks the registry and signature policies are installed and enforcing",
        f"{CIS_K8S} 5.2.1": "checks a policy control mechanism (Kyverno with the catalogue) is in place",
    },
    "argocd-no-default-project": {
        f"{NIST_190} 4.3.1": "checks deployments go through a project limited to what it needs",
    },
    "argocd-appproject-restricted": {
        f"{NIST_190} 4.3.1": "checks projects name their repositories and destinations. Not CIS 5.1.3: an "
                             "AppProject is not an RBAC role",
    },
    "helm-chart-version-pinned": {
        f"{NIST_53} CM-2": "checks what is installed is an exact, reviewed version. Not SP 800-190 4.1.5: a pinned "
                           "chart says nothing about the images it runs",
    },
    "policy-waivers-valid": {
        f"{NIST_53} CA-5": "checks every accepted deviation from a rule is recorded with an owner and a reason and "
                           "ends by a date within the environment's limit: the milestone CA-5 tracks remediation by",
    },
    # --- Supply chain and detection -----------------------------------------------------------------
    "kyverno-image-attestations": {
        f"{NIST_190} 4.1.1": "checks admission refuses an image whose signed scan is stale or reports a CRITICAL "
                             "finding: vulnerability management enforced at deployment, as 4.1.1 asks",
        f"{NIST_190} 4.1.5": "checks admission demands the SBOM and scan attestations signed by the stack's own keys",
    },
    "eks-audit-log-alarms": {
        f"{NIST_53} AU-6": "checks the audit records are analysed for the named indications of misuse and reported to "
                           "subscribed people",
        f"{NIST_53} SI-4": "checks the cluster's API is monitored for the named attack indicators, with alerts",
    },
    "eks-audit-review-queries": {
        f"{NIST_53} AU-6": "checks the weekly review has its saved queries on the audit log. Only their presence: "
                           "that someone runs them weekly is a manual control",
    },
    "sns-topic-kms": {
        f"{NIST_53} SC-28": "checks alert messages are encrypted at rest with a customer-managed key",
    },
    "guardduty-eks-protection": {
        f"{NIST_53} SI-4": "checks threat detection runs on the cluster's audit log and its nodes' runtime, and its "
                           "findings are routed to a target",
    },
}


def claims_of(rule) -> list[str]:
    return [control.label() for control in rule.controls]


@pytest.mark.parametrize("rule", pack.RULES, ids=lambda r: r.name)
def test_every_claim_is_a_known_control_with_a_reason(rule):
    reasons = CLAIMS.get(rule.name, {})
    unknown = [label for label in claims_of(rule) if label not in CONTROL_TITLES]
    unreasoned = [label for label in claims_of(rule) if not reasons.get(label)]
    assert unknown == [], f"{rule.name} claims {unknown}, which have no title in the declared benchmark versions"
    assert unreasoned == [], f"{rule.name} claims {unreasoned} without a reason in CLAIMS: drop them or give the reason"


@pytest.mark.parametrize("rule", pack.RULES, ids=lambda r: r.name)
def test_every_reason_is_for_a_claim_the_rule_makes(rule):
    assert set(CLAIMS.get(rule.name, {})) <= set(claims_of(rule)), "a reason for a claim the rule no longer makes"


def test_every_reason_belongs_to_a_rule_of_the_pack():
    assert set(CLAIMS) <= {rule.name for rule in pack.RULES}


def test_the_literal_secret_rule_claims_nothing_about_secrets_as_files():
    """It checks literal values only; secretKeyRef environment variables pass it, so 4.4.1 / 5.4.1 are not its."""
    claims = claims_of(pack.rule("k8s-no-plaintext-secret-env"))
    assert f"{CIS_EKS} 4.4.1" not in claims and f"{CIS_K8S} 5.4.1" not in claims
