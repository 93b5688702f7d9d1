"""PostgreSQL as a StatefulSet on an encrypted volume that outlives pod and stack, and its backups:
a CronJob that streams pg_dump to the backup bucket through an IRSA role limited to its prefix,
running the backup scripts kept in app/db-backup/ and mounted from a ConfigMap."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from components.backup_bucket import BackupBucket, BackupBucketArgs
from components.config import BackupSettings, Resources, Service
from components.irsa import irsa_role
from components.policy_documents import allow, document, to_json
from components.workload_spec import (
    SECRETS_VOLUME_MOUNT, TMP_MOUNT, TMP_VOLUME, container_resources, container_security_context, labels,
    pod_security_context, secret_file, secret_volume,
)

SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "app" / "db-backup"
# Where the db-backup image keeps its scripts; the ConfigMap replaces them with the repository's.
SCRIPTS_MOUNT = "/app"
BACKUP_WORKLOAD = "db-backup"
SCRIPTS_CONFIG_MAP = f"{BACKUP_WORKLOAD}-scripts"
BACKUP_PREFIX = "postgres/"
# High fixed uids/gids, one per workload, matching no user of a node or an image. The postgres
# image runs as any uid (its entrypoint gives initdb a passwd entry through nss_wrapper, in /tmp)
# once the data volume is group-writable (fsGroup); the db-backup image is built with USER 10003.
POSTGRES_UID = 10002
BACKUP_UID = 10003
DATABASE = "app"
USER = "app"
DATA_DIR = "/var/lib/postgresql/data"
STORAGE_SIZE = "20Gi"
STORAGE_CLASS = "gp3-encrypted"
BACKUP_RESOURCES = Resources(requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "512Mi"})
BACKUP_DEADLINE_SECONDS = 3600
FRESHNESS_SCHEDULE = "17 * * * *"


def backup_scripts() -> dict[str, str]:
    """Every Python file of app/db-backup/, read when the program runs, so the ConfigMap is what is in the repository."""
    return {path.name: path.read_text() for path in sorted(SCRIPTS_DIR.glob("*.py"))}


def statefulset_spec(service: Service, part_of: str, secret_name: str, secret_key: str) -> dict:
    pg_isready = {"exec": {"command": ["pg_isready", "-h", "127.0.0.1", "-p", str(service.port), "-U", USER, "-d", DATABASE]}}
    container = {
        "name": "postgres",
        "image": service.image,
        "ports": [{"name": "postgres", "containerPort": service.port, "protocol": "TCP"}],
        "env": [
            {"name": "POSTGRES_USER", "value": USER},
            {"name": "POSTGRES_DB", "value": DATABASE},
            # A subdirectory, because the volume's root holds lost+found and initdb wants an empty directory.
            {"name": "PGDATA", "value": f"{DATA_DIR}/pgdata"},
            # The image's entrypoint reads the superuser's password from this file at the first start.
            {"name": "POSTGRES_PASSWORD_FILE", "value": secret_file(secret_key)},
        ],
        "resources": container_resources(service.resources),
        "securityContext": container_security_context(POSTGRES_UID),
        # First start runs initdb, a restart after a crash replays WAL: both may take minutes, during
        # which liveness must not restart the server (it would start the recovery over again).
        "startupProbe": {**pg_isready, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 60},
        "readinessProbe": {**pg_isready, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**pg_isready, "periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 6},
        "volumeMounts": [
            {"name": "data", "mountPath": DATA_DIR},
            {"name": "run", "mountPath": "/var/run/postgresql"},
            dict(TMP_MOUNT),
            dict(SECRETS_VOLUME_MOUNT),
        ],
    }
    return {
        "serviceName": service.name,
        "replicas": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": service.name}},
        # The volume stays when the StatefulSet is deleted or scaled down; deleting data is deliberate.
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "template": {
            "metadata": {"labels": labels(service.name, part_of)},
            "spec": {
                "serviceAccountName": service.name,
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "terminationGracePeriodSeconds": 60,
                "securityContext": pod_security_context(POSTGRES_UID),
                "containers": [container],
                "volumes": [{"name": "run", "emptyDir": {}}, dict(TMP_VOLUME), secret_volume(secret_name, [secret_key])],
            },
        },
        "volumeClaimTemplates": [{
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": STORAGE_CLASS, "resources": {"requests": {"storage": STORAGE_SIZE}}},
        }],
    }


def backup_env(service: Service, secret_key: str, bucket_name: pulumi.Input[str],
               kms_key_arn: pulumi.Input[str], region: str) -> list[dict]:
    """What backup.py reads: where the database is, how to log in, where and how to store the dump."""
    return [
        {"name": "PGHOST", "value": service.name},
        {"name": "PGPORT", "value": str(service.port)},
        {"name": "PGUSER", "value": USER},
        {"name": "PGDATABASE", "value": DATABASE},
        {"name": "PGPASSWORD_FILE", "value": secret_file(secret_key)},
        {"name": "BACKUP_BUCKET", "value": bucket_name},
        {"name": "BACKUP_PREFIX", "value": BACKUP_PREFIX},
        {"name": "BACKUP_KMS_KEY_ID", "value": kms_key_arn},
        {"name": "AWS_REGION", "value": region},
    ]


def freshness_env(backup: BackupSettings, bucket_name: pulumi.Input[str], region: str) -> list[dict]:
    """What freshness.py reads: which backups to look at and how old the newest may be; no password."""
    return [
        {"name": "PGDATABASE", "value": DATABASE},
        {"name": "BACKUP_BUCKET", "value": bucket_name},
        {"name": "BACKUP_PREFIX", "value": BACKUP_PREFIX},
        {"name": "AWS_REGION", "value": region},
        {"name": "BACKUP_MAX_AGE_HOURS", "value": str(backup.max_age_hours)},
    ]


def cronjob_spec(
    backup: BackupSettings, part_of: str, script: str, schedule: str, env: list[dict], scripts_config_map: str,
    secrets: dict | None = None, *, tmp_volume: dict = TMP_VOLUME, backoff_limit: int = 2,
    deadline_seconds: int = BACKUP_DEADLINE_SECONDS,
) -> dict:
    """A CronJob running one backup script; `secrets` is the app secret's volume, for a job that logs in."""
    mounts = [{"name": "scripts", "mountPath": SCRIPTS_MOUNT, "readOnly": True}, dict(TMP_MOUNT)]
    volumes = [{"name": "scripts", "configMap": {"name": scripts_config_map, "defaultMode": 0o444}}, dict(tmp_volume)]
    if secrets is not None:
        mounts.append(dict(SECRETS_VOLUME_MOUNT))
        volumes.append(secrets)
    container = {
        "name": BACKUP_WORKLOAD,
        "image": backup.image,
        "command": ["python3", f"{SCRIPTS_MOUNT}/{script}"],
        "env": env,
        "resources": container_resources(BACKUP_RESOURCES),
        "securityContext": container_security_context(BACKUP_UID),
        "volumeMounts": mounts,
    }
    pod = {
        "serviceAccountName": BACKUP_WORKLOAD,
        # IRSA's webhook mounts its own projected STS token; the Kubernetes API token is not needed.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": pod_security_context(BACKUP_UID),
        "containers": [container],
        "volumes": volumes,
    }
    return {
        "schedule": schedule,
        "timeZone": "Etc/UTC",
        # Two dumps at once would only compete for the database; a late one waits for the next slot.
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"spec": {
            "backoffLimit": backoff_limit,
            "activeDeadlineSeconds": deadline_seconds,
            "ttlSecondsAfterFinished": 86400,
            "template": {"metadata": {"labels": labels(BACKUP_WORKLOAD, part_of)}, "spec": pod},
        }},
    }


def backup_role_policy(bucket_arn: pulumi.Input[str], kms_key_arn: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """Objects under the backup prefix only; the key only through S3."""
    objects = pulumi.Output.from_input(bucket_arn).apply(lambda arn: f"{arn}/{BACKUP_PREFIX}*")
    return to_json(document(
        allow(["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload",
               "s3:ListMultipartUploadParts"],
              objects, "BackupObjects"),
        allow(["s3:ListBucket"], bucket_arn, "ListBackupPrefix", {"StringLike": {"s3:prefix": [f"{BACKUP_PREFIX}*"]}}),
        allow(["kms:GenerateDataKey", "kms:Decrypt"], kms_key_arn, "UseBackupKeyThroughS3",
              {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
    ))


@dataclass(frozen=True)
class DatabaseArgs:
    prefix: str
    account_id: str
    region: str
    namespace: str
    service: Service
    backup: BackupSettings
    part_of: str
    secret_name: str
    secret_key: str
    backups_kms_key_arn: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    protect: bool
    provider: k8s.Provider
    depends_on: tuple[pulumi.Resource, ...] = ()


class Database(pulumi.ComponentResource):
    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:database:Database", name, None, opts)
        service = args.service
        self.backup_bucket = BackupBucket(
            f"{name}-backups",
            BackupBucketArgs(
                # Bucket names are global; the account id keeps two accounts' stacks apart.
                bucket_name=f"{args.prefix}-db-backups-{args.account_id}",
                kms_key_arn=args.backups_kms_key_arn, retention_days=args.backup.retention_days, protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        bucket = self.backup_bucket.bucket
        backup_role = irsa_role(
            f"{name}-backup-irsa", role_name=f"{args.prefix}-db-backup",
            provider_arn=args.oidc_provider_arn, issuer=args.oidc_issuer,
            namespace=args.namespace, service_account=BACKUP_WORKLOAD,
            inline_policy=backup_role_policy(bucket.arn, args.backups_kms_key_arn, args.region),
            parent=self,
        )

        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        db_metadata = {"name": service.name, "namespace": args.namespace, "labels": labels(service.name, args.part_of)}
        db_account = k8s.core.v1.ServiceAccount(f"{name}-postgres-sa", metadata=db_metadata, automount_service_account_token=False, opts=k8s_opts)
        k8s.core.v1.Service(
            f"{name}-postgres-svc", metadata=db_metadata,
            # Headless: the StatefulSet's stable DNS name; clients reach the one primary directly.
            spec={"clusterIP": "None", "selector": {"app.kubernetes.io/name": service.name},
                  "ports": [{"name": "postgres", "port": service.port, "targetPort": "postgres", "protocol": "TCP"}]},
            opts=k8s_opts,
        )
        self.statefulset = k8s.apps.v1.StatefulSet(
            f"{name}-postgres", metadata=db_metadata,
            spec=statefulset_spec(service, args.part_of, args.secret_name, args.secret_key),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[db_account], protect=args.protect)),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-postgres-pdb", metadata=db_metadata,
            # One primary: in prod a drain waits until an operator moves the database deliberately.
            spec={("minAvailable" if args.protect else "maxUnavailable"): 1,
                  "selector": {"matchLabels": {"app.kubernetes.io/name": service.name}}},
            opts=k8s_opts,
        )

        backup_metadata = {"name": BACKUP_WORKLOAD, "namespace": args.namespace, "labels": labels(BACKUP_WORKLOAD, args.part_of)}
        backup_account = k8s.core.v1.ServiceAccount(
            f"{name}-backup-sa",
            metadata={**backup_metadata, "annotations": {"eks.amazonaws.com/role-arn": backup_role.arn}},
            automount_service_account_token=False, opts=k8s_opts,
        )
        scripts = k8s.core.v1.ConfigMap(
            f"{name}-backup-scripts", metadata={**backup_metadata, "name": SCRIPTS_CONFIG_MAP},
            data=backup_scripts(), opts=k8s_opts,
        )
        after_scripts = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[backup_account, scripts]))
        self.cronjob = k8s.batch.v1.CronJob(
            f"{name}-backup", metadata=backup_metadata,
            spec=cronjob_spec(
                args.backup, args.part_of, "backup.py", args.backup.schedule,
                backup_env(service, args.secret_key, bucket.bucket, args.backups_kms_key_arn, args.region),
                SCRIPTS_CONFIG_MAP, secret_volume(args.secret_name, [args.secret_key]),
            ),
            opts=after_scripts,
        )
        # Backups that silently stop are found within the hour: this job fails once the newest
        # good backup is older than backupMaxAgeHours (a failed Job is what cluster alerting sees).
        self.freshness_cronjob = k8s.batch.v1.CronJob(
            f"{name}-backup-freshness", metadata={**backup_metadata, "name": f"{BACKUP_WORKLOAD}-freshness"},
            spec=cronjob_spec(
                args.backup, args.part_of, "freshness.py", FRESHNESS_SCHEDULE,
                freshness_env(args.backup, bucket.bucket, args.region), SCRIPTS_CONFIG_MAP,
            ),
            opts=after_scripts,
        )
        self.register_outputs({"backupBucketName": bucket.bucket, "backupRoleArn": backup_role.arn})
