"""The restore drill CronJob under mocks, dev and prod: weekly, once, as the backup job, and allowed
exactly the backup job's network paths."""
from __future__ import annotations

from components.network_policies import Endpoint, may_reach
from k8s_plan import manifest, network_policies
from preflight.engine import run_with_settings
from preflight.model import Plan
from preflight.stack_files import load_stack_settings
from stack_variants import stack_variant

CRONJOB = "kubernetes:batch/v1:CronJob"


def cronjob(plan: Plan, name: str) -> dict:
    return manifest(plan.one(CRONJOB, name))


def pod(cron: dict) -> dict:
    return cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_drill_runs_weekly_once_at_a_time_and_never_retries(plan: Plan):
    cron = cronjob(plan, "restore-drill")
    assert cron["metadata"]["name"] == "db-backup-restore-drill" and cron["metadata"]["namespace"] == "app"
    spec = cron["spec"]
    assert spec["schedule"] == "0 4 * * 0" and spec["timeZone"] == "Etc/UTC"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 4 * 3600


def test_drill_runs_drill_py_as_the_backup_job(plan: Plan):
    drill, backup = pod(cronjob(plan, "restore-drill")), pod(cronjob(plan, "database-backup"))
    container, = drill["containers"]
    backup_container, = backup["containers"]
    assert container["command"] == ["python3", "/app/drill.py"]
    assert "drill.py" in manifest(plan.one("kubernetes:core/v1:ConfigMap"))["data"]
    assert container["image"] == backup_container["image"] and "/db-backup@sha256:" in container["image"]
    assert drill["serviceAccountName"] == "db-backup" and drill["automountServiceAccountToken"] is False
    assert container["env"] == backup_container["env"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PGPASSWORD_FILE"] == "/var/run/secrets/app/db-password"
    volumes = {v["name"]: v for v in drill["volumes"]}
    assert volumes["app-secrets"] == {v["name"]: v for v in backup["volumes"]}["app-secrets"]
    assert volumes["app-secrets"]["secret"]["items"] == [{"key": "db-password", "path": "db-password"}]


def test_drill_runs_restricted_with_room_for_one_dump_in_tmp(plan: Plan):
    spec = pod(cronjob(plan, "restore-drill"))
    container, = spec["containers"]
    context = container["securityContext"]
    assert spec["securityContext"]["runAsUser"] == context["runAsUser"] == 10003
    assert context["runAsNonRoot"] is True and context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    tmp = {v["name"]: v for v in spec["volumes"]}[mounts["/tmp"]]
    assert tmp["emptyDir"] == {"sizeLimit": "20Gi"}  # the database volume's size
    assert container["resources"]["limits"] and container["resources"]["requests"]


def test_drill_reaches_postgres_and_https_like_the_backup_job(plan: Plan):
    policies = network_policies(plan)
    # The pod template's labels are what the NetworkPolicies select.
    drill_labels = cronjob(plan, "restore-drill")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    drill = Endpoint("app", drill_labels, "10.0.1.7")
    postgres = Endpoint("app", {"app.kubernetes.io/name": "postgres"}, "10.0.1.8")
    backend = Endpoint("app", {"app.kubernetes.io/name": "backend"}, "10.0.1.9")
    s3 = Endpoint(None, ip="52.218.0.1")
    assert may_reach(policies, drill, postgres, 5432)
    assert may_reach(policies, drill, s3, 443)
    assert not may_reach(policies, drill, backend, 5000)
    assert not may_reach(policies, drill, s3, 80)


def test_schedule_comes_from_config(tmp_path):
    plan = run_with_settings(load_stack_settings(stack_variant(tmp_path, changes={"restoreDrillSchedule": "30 5 * * 6"})))
    assert cronjob(plan, "restore-drill")["spec"]["schedule"] == "30 5 * * 6"
