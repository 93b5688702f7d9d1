"""Build an AWS account in moto that matches (or, setting by setting, breaks) a stack.

The stack is the dev stack's settings in moto's account (`write_stack_file`); `stack_outputs` is
what the program exports for it once deployed; `AccountSpec` is what is live. The defaults of
`AccountSpec` are the compliant account; `BREAKS` turns exactly one control off per rule. The
names below are the ones the program gives the dev stack (test_verify_expected proves they agree).

Where moto has no API for a setting: moto's CreateCluster and UpdateClusterConfig drop
`accessConfig`, so the authentication mode is written into moto's in-process EKS backend after
the cluster is created through the API. `verify` still reads it through DescribeCluster.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
from moto.eks.models import eks_backends

from components.audit_detections import DEFAULT_THRESHOLDS, PERIOD_SECONDS, REVIEW_QUERIES, detections
from moto_server import FAKE_CREDENTIALS
from query_definitions import serve_query_definitions
from preflight.stack_files import PROJECT_ROOT

ACCOUNT_ID = "123456789012"  # moto's default account
DEV_ACCOUNT_ID = "111111111111"  # the account of the shipped dev stack
REGION = "eu-west-1"
CLUSTER = "devsecops-dev"
CONTROLLER_NAMESPACES = ("kyverno", "argocd", "external-secrets")
NODE_GROUP = "devsecops-dev-default"
ISSUER = "token.actions.githubusercontent.com"
SUBJECT = "repo:example-org/devsecops-platform:ref:refs/heads/main"
AUDIENCE = "sts.amazonaws.com"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
REPOSITORIES = {"frontend": "devsecops-dev/frontend", "backend": "devsecops-dev/backend", "db-backup": "devsecops-dev/db-backup"}
KEY_ROLES = ("secrets", "logs", "ecr", "ebs", "backups", "app-secrets", "evidence", "alerts")
BUCKET = f"devsecops-dev-db-backups-{ACCOUNT_ID}"
EVIDENCE_BUCKET = f"devsecops-dev-evidence-{ACCOUNT_ID}"
EVIDENCE_RETENTION_DAYS = 365
CI_ROLE = "devsecops-dev-ci-images"
TOPIC = "devsecops-dev-security-alarms"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{TOPIC}"
ALARMS = {d.name: f"devsecops-dev-audit-{d.name}" for d in detections(CONTROLLER_NAMESPACES)}
QUERIES = [f"devsecops-dev/weekly-review/{q.name}" for q in REVIEW_QUERIES]
FINDINGS_RULE = "devsecops-dev-guardduty-findings"


@dataclass(frozen=True)
class AccountSpec:
    log_types: tuple[str, ...] = LOG_TYPES
    log_retention_days: int = 90
    log_group_encrypted: bool = True
    secrets_key_role: str = "secrets"
    endpoint_public: bool = False
    public_cidrs: tuple[str, ...] = ()
    endpoint_private: bool = True
    authentication_mode: str = "API"
    http_tokens: str = "required"
    hop_limit: int = 1
    volume_encrypted: bool = True
    backend_tag_mutability: str = "IMMUTABLE"
    backend_scan_on_push: bool = True
    backend_kms: bool = True
    backend_lifecycle_policy: bool = True
    backend_policy_principal: str = f"arn:aws:iam::{ACCOUNT_ID}:role/{CI_ROLE}"
    logs_key_rotation: bool = True
    bucket_kms: bool = True
    bucket_versioning: bool = True
    bucket_public_access_block: bool = True
    bucket_tls_only: bool = True
    evidence_lock_mode: str = "COMPLIANCE"
    evidence_lock_days: int = EVIDENCE_RETENTION_DAYS
    evidence_locked: bool = True
    ci_subject: str = SUBJECT
    ci_subject_operator: str = "StringEquals"
    pod_exec_alarm_notifies: bool = True
    topic_encrypted: bool = True
    review_queries: tuple[str, ...] = tuple(QUERIES)
    runtime_monitoring: str = "ENABLED"


# One broken setting per rule: the account differs from the compliant one in exactly this.
BREAKS: dict[str, AccountSpec] = {
    "eks-control-plane-logs-all-types": AccountSpec(log_types=("api", "authenticator")),
    "cloudwatch-log-group-retention": AccountSpec(log_retention_days=7),
    "cloudwatch-log-group-kms": AccountSpec(log_group_encrypted=False),
    "eks-secrets-encryption-cmk": AccountSpec(secrets_key_role="ecr"),
    "eks-public-endpoint-restricted": AccountSpec(endpoint_public=True, public_cidrs=("0.0.0.0/0",)),
    "eks-private-endpoint-enabled": AccountSpec(endpoint_private=False),
    "eks-api-authentication-mode": AccountSpec(authentication_mode="CONFIG_MAP"),
    "nodegroup-imdsv2-required": AccountSpec(http_tokens="optional", hop_limit=2),
    "nodegroup-volumes-encrypted": AccountSpec(volume_encrypted=False),
    "ecr-immutable-tags": AccountSpec(backend_tag_mutability="MUTABLE"),
    "ecr-scan-on-push": AccountSpec(backend_scan_on_push=False),
    "ecr-kms-encryption": AccountSpec(backend_kms=False),
    "ecr-lifecycle-policy": AccountSpec(backend_lifecycle_policy=False),
    "ecr-repository-policy-no-wildcard-principal": AccountSpec(backend_policy_principal="*"),
    "kms-key-rotation": AccountSpec(logs_key_rotation=False),
    "s3-encryption-kms": AccountSpec(bucket_kms=False),
    "s3-versioning": AccountSpec(bucket_versioning=False),
    "s3-public-access-block": AccountSpec(bucket_public_access_block=False),
    "s3-tls-only": AccountSpec(bucket_tls_only=False),
    "s3-evidence-object-lock": AccountSpec(evidence_lock_mode="GOVERNANCE"),
    "iam-ci-oidc-trust-pinned": AccountSpec(ci_subject="repo:example-org/*", ci_subject_operator="StringLike"),
    "eks-audit-log-alarms": AccountSpec(pod_exec_alarm_notifies=False),
    "sns-topic-kms": AccountSpec(topic_encrypted=False),
    "eks-audit-review-queries": AccountSpec(review_queries=tuple(QUERIES[1:])),
    "guardduty-eks-protection": AccountSpec(runtime_monitoring="DISABLED"),
}


def write_stack_file(directory: Path) -> Path:
    """The shipped dev stack's settings, moved into moto's account (the stack is named by the file: dev)."""
    path = directory / "Pulumi.dev.yaml"
    path.write_text((PROJECT_ROOT / "Pulumi.dev.yaml").read_text().replace(DEV_ACCOUNT_ID, ACCOUNT_ID))
    return path


def clients(endpoint_url: str, **credentials: str):
    credentials = credentials or FAKE_CREDENTIALS
    return lambda service: boto3.client(service, endpoint_url=endpoint_url, region_name=REGION, **credentials)


def build_account(endpoint_url: str, spec: AccountSpec = AccountSpec()) -> dict:
    """Create the account in moto and return the stack outputs the program would export for it."""
    client = clients(endpoint_url)
    keys = _keys(client("kms"), spec)
    build_cluster(client("eks"), spec, keys)
    _log_group(client("logs"), spec, keys)
    _nodegroup(client("ec2"), client("eks"), spec, keys)
    _repositories(client("ecr"), spec, keys)
    _bucket(client("s3"), spec, keys)
    _evidence_bucket(client("s3"), spec, keys)
    _ci_role(client("iam"), spec)
    _detection(client("sns"), client("logs"), client("cloudwatch"), spec, keys)
    _guardduty(client("guardduty"), client("events"), spec)
    return stack_outputs(keys)


def stack_outputs(keys: dict[str, str]) -> dict:
    return {
        "region": REGION,
        "accountId": ACCOUNT_ID,
        "clusterName": CLUSTER,
        "clusterLogGroupName": f"/aws/eks/{CLUSTER}/cluster",
        "clusterLogRetentionDays": 90,
        "endpointPublicAccess": False,
        "publicAccessCidrs": [],
        "authenticationMode": "API",
        "kmsKeyArns": keys,
        "nodeGroupName": NODE_GROUP,
        "ecrRepositoryNames": REPOSITORIES,
        "backupBucketName": BUCKET,
        "backupKmsKeyArn": keys["backups"],
        "evidenceBucketName": EVIDENCE_BUCKET,
        "evidenceKmsKeyArn": keys["evidence"],
        "evidenceRetentionDays": EVIDENCE_RETENTION_DAYS,
        "ciRoleName": CI_ROLE,
        "ciRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{CI_ROLE}",
        "ciTrust": {"provider": "github", "issuer": ISSUER, "subject": SUBJECT, "audience": AUDIENCE},
        "alarmTopicName": TOPIC,
        "auditAlarmNames": list(ALARMS.values()),
        "reviewQueryNames": QUERIES,
        "guardDutyManagedCentrally": False,
        "guardDutyFindingsRuleName": FINDINGS_RULE,
    }


def _keys(kms, spec: AccountSpec) -> dict[str, str]:
    keys = {}
    for role in KEY_ROLES:
        arn = kms.create_key(Description=f"platform {role}")["KeyMetadata"]["Arn"]
        if role != "logs" or spec.logs_key_rotation:
            kms.enable_key_rotation(KeyId=arn)
        keys[role] = arn
    return keys


def build_cluster(eks, spec: AccountSpec, keys: dict[str, str]) -> None:
    """The cluster alone, for the controls that read only DescribeCluster."""
    eks.create_cluster(
        name=CLUSTER,
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{CLUSTER}-cluster",
        resourcesVpcConfig={
            "subnetIds": ["subnet-a", "subnet-b"],
            "endpointPublicAccess": spec.endpoint_public,
            "endpointPrivateAccess": spec.endpoint_private,
            "publicAccessCidrs": list(spec.public_cidrs),
        },
        logging={"clusterLogging": [{"types": list(spec.log_types), "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": keys[spec.secrets_key_role]}}],
    )
    # moto drops accessConfig on create and update (see the module docstring).
    cluster = eks_backends[ACCOUNT_ID][REGION].clusters[CLUSTER]
    cluster.access_config = {"authenticationMode": spec.authentication_mode, "bootstrapClusterCreatorAdminPermissions": False}


def _log_group(logs, spec: AccountSpec, keys: dict[str, str]) -> None:
    name = f"/aws/eks/{CLUSTER}/cluster"
    logs.create_log_group(logGroupName=name, **({"kmsKeyId": keys["logs"]} if spec.log_group_encrypted else {}))
    logs.put_retention_policy(logGroupName=name, retentionInDays=spec.log_retention_days)


def _nodegroup(ec2, eks, spec: AccountSpec, keys: dict[str, str]) -> None:
    ebs = {"VolumeSize": 50, "VolumeType": "gp3", "Encrypted": spec.volume_encrypted}
    if spec.volume_encrypted:
        ebs["KmsKeyId"] = keys["secrets"]
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{CLUSTER}-nodes",
        LaunchTemplateData={
            "MetadataOptions": {"HttpTokens": spec.http_tokens, "HttpPutResponseHopLimit": spec.hop_limit, "HttpEndpoint": "enabled"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": ebs}],
        },
    )["LaunchTemplate"]
    eks.create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName=NODE_GROUP,
        subnets=["subnet-a", "subnet-b"],
        nodeRole=f"arn:aws:iam::{ACCOUNT_ID}:role/{CLUSTER}-node",
        launchTemplate={"id": template["LaunchTemplateId"], "version": str(template["LatestVersionNumber"])},
    )


def _repositories(ecr, spec: AccountSpec, keys: dict[str, str]) -> None:
    compliant = AccountSpec()
    for service, name in REPOSITORIES.items():
        # Breaks apply to the backend repository only; the frontend stays compliant.
        s = spec if service == "backend" else compliant
        ecr.create_repository(
            repositoryName=name,
            imageTagMutability=s.backend_tag_mutability,
            imageScanningConfiguration={"scanOnPush": s.backend_scan_on_push},
            encryptionConfiguration={"encryptionType": "KMS", "kmsKey": keys["ecr"]} if s.backend_kms else {"encryptionType": "AES256"},
        )
        if s.backend_lifecycle_policy:
            ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps({"rules": [{
                "rulePriority": 1, "description": "expire untagged",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
                "action": {"type": "expire"},
            }]}))
        ecr.set_repository_policy(repositoryName=name, policyText=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "CiPush", "Effect": "Allow", "Principal": {"AWS": s.backend_policy_principal},
            "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
        }]}))


def _bucket(s3, spec: AccountSpec, keys: dict[str, str]) -> None:
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    _private(s3, BUCKET, keys["backups"], spec)


def _private(s3, bucket: str, key: str, spec: AccountSpec) -> None:
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key} if spec.bucket_kms else {"SSEAlgorithm": "AES256"}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
    if spec.bucket_versioning:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if spec.bucket_public_access_block:
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    if spec.bucket_tls_only:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyPlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }]}))


def _evidence_bucket(s3, spec: AccountSpec, keys: dict[str, str]) -> None:
    """Always compliant in the four bucket controls (the backup bucket breaks those), locked as `spec` says."""
    s3.create_bucket(Bucket=EVIDENCE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION},
                     ObjectLockEnabledForBucket=spec.evidence_locked)
    _private(s3, EVIDENCE_BUCKET, keys["evidence"], AccountSpec())
    if spec.evidence_locked:
        s3.put_object_lock_configuration(Bucket=EVIDENCE_BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": spec.evidence_lock_mode, "Days": spec.evidence_lock_days}}})


def _ci_role(iam, spec: AccountSpec) -> None:
    iam.create_open_id_connect_provider(Url=f"https://{ISSUER}", ClientIDList=[AUDIENCE], ThumbprintList=["a" * 40])
    iam.create_role(RoleName=CI_ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "GitHubActions", "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": _trust_conditions(spec),
    }]}))


def _trust_conditions(spec: AccountSpec) -> dict:
    conditions: dict = {"StringEquals": {f"{ISSUER}:aud": AUDIENCE}}
    conditions.setdefault(spec.ci_subject_operator, {})[f"{ISSUER}:sub"] = spec.ci_subject
    return conditions


def _detection(sns, logs, cloudwatch, spec: AccountSpec, keys: dict[str, str]) -> None:
    sns.create_topic(Name=TOPIC, Attributes={"KmsMasterKeyId": keys["alerts"]} if spec.topic_encrypted else {})
    sns.subscribe(TopicArn=TOPIC_ARN, Protocol="email", Endpoint="platform-dev-alerts@example.org")
    group = f"/aws/eks/{CLUSTER}/cluster"
    namespace = f"DevSecOps/EKSAudit/{CLUSTER}"
    for detection in detections(CONTROLLER_NAMESPACES):
        logs.put_metric_filter(logGroupName=group, filterName=f"{CLUSTER}-{detection.name}", filterPattern=detection.pattern,
                               metricTransformations=[{"metricName": detection.name, "metricNamespace": namespace,
                                                       "metricValue": "1"}])
        notifies = spec.pod_exec_alarm_notifies or detection.name != "podExec"
        cloudwatch.put_metric_alarm(
            AlarmName=ALARMS[detection.name], Namespace=namespace, MetricName=detection.name, Statistic="Sum",
            Period=PERIOD_SECONDS, EvaluationPeriods=1, Threshold=DEFAULT_THRESHOLDS[detection.name],
            ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
            ActionsEnabled=True, AlarmActions=[TOPIC_ARN] if notifies else [],
        )
    serve_query_definitions()  # moto has no saved queries (query_definitions.py)
    for name in spec.review_queries:
        logs.put_query_definition(name=name, logGroupNames=[group], queryString="fields @timestamp")


def _guardduty(guardduty, events, spec: AccountSpec) -> None:
    guardduty.create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES", Features=[
        {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
        {"Name": "EKS_RUNTIME_MONITORING", "Status": spec.runtime_monitoring,
         "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]},
    ])
    events.put_rule(Name=FINDINGS_RULE, EventPattern=json.dumps({"source": ["aws.guardduty"]}), State="ENABLED")
    events.put_targets(Rule=FINDINGS_RULE, Targets=[{"Id": "alarm-topic", "Arn": TOPIC_ARN}])
