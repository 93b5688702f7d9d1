"""The weekly restore drill: a CronJob of the backup job that restores the newest good backup into a
scratch database, checks it with amcheck, drops it, and fails its Job on any error
(app/db-backup/drill.py).

It is the backup job in every way that matters for access: same image, ServiceAccount (its IRSA
role already reads and decrypts backups), environment, password file, uid and pod labels, so the
backup job's NetworkPolicies (postgres:5432 and HTTPS) are the drill's too.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.config import BackupSettings, Service
from components.database import (
    BACKUP_DEADLINE_SECONDS, BACKUP_WORKLOAD, SCRIPTS_CONFIG_MAP, STORAGE_SIZE, backup_env, cronjob_spec,
)
from components.workload_spec import TMP_VOLUME, labels, secret_volume

DRILL_WORKLOAD = f"{BACKUP_WORKLOAD}-restore-drill"
# restore.py downloads the whole dump to /tmp; a dump (compressed, indexes as definitions only) is
# smaller than the data volume it was taken from.
DRILL_TMP_VOLUME = {**TMP_VOLUME, "emptyDir": {"sizeLimit": STORAGE_SIZE}}
# Restoring rebuilds every index and amcheck then reads all heap and index pages again: a drill
# takes several times as long as the dump.
DRILL_DEADLINE_SECONDS = 4 * BACKUP_DEADLINE_SECONDS


def restore_drill_spec(
    service: Service, backup: BackupSettings, part_of: str, secret_name: str, secret_key: str,
    bucket_name: pulumi.Input[str], kms_key_arn: pulumi.Input[str], region: str,
) -> dict:
    return cronjob_spec(
        backup, part_of, "drill.py", backup.restore_drill_schedule,
        backup_env(service, secret_key, bucket_name, kms_key_arn, region),
        SCRIPTS_CONFIG_MAP, secret_volume(secret_name, [secret_key]),
        tmp_volume=DRILL_TMP_VOLUME,
        # One failed run is the finding; a retry that passes would hide it.
        backoff_limit=0, deadline_seconds=DRILL_DEADLINE_SECONDS,
    )


@dataclass(frozen=True)
class RestoreDrillArgs:
    namespace: str
    service: Service
    backup: BackupSettings
    part_of: str
    secret_name: str
    secret_key: str
    bucket_name: pulumi.Input[str]
    backups_kms_key_arn: pulumi.Input[str]
    region: str
    provider: k8s.Provider
    # The Database component: its ServiceAccount and scripts ConfigMap must exist first.
    depends_on: tuple[pulumi.Resource, ...] = ()


class RestoreDrill(pulumi.ComponentResource):
    def __init__(self, name: str, args: RestoreDrillArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("devsecops:database:RestoreDrill", name, None, opts)
        # A failed drill is a failed Job, which cluster alerting reports as it does for the
        # backup freshness job.
        self.cronjob = k8s.batch.v1.CronJob(
            name,
            metadata={"name": DRILL_WORKLOAD, "namespace": args.namespace, "labels": labels(BACKUP_WORKLOAD, args.part_of)},
            spec=restore_drill_spec(
                args.service, args.backup, args.part_of, args.secret_name, args.secret_key,
                args.bucket_name, args.backups_kms_key_arn, args.region,
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on)),
        )
        self.register_outputs({"schedule": args.backup.restore_drill_schedule})
