"""A CronJob's pod run once to completion, as a Job would run it (no retries: one failure fails)."""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from preflight.smoke import pods
from preflight.smoke.cluster import Cluster, Workload

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# A Job may run an hour (activeDeadlineSeconds); the smoke run's database is small.
JOB_LIMIT_S = 120
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class JobResult:
    code: int | None  # None: stopped at the deadline
    seconds: float
    log: Path
    identity: str

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def aws_stand_in(workload: Workload, cluster: Cluster, endpoint_url: str) -> dict[str, str]:
    """What the EKS pod identity webhook injects for a ServiceAccount with an IRSA role, stood in
    for by moto: static test credentials and its endpoint. A pod without a role gets nothing."""
    account = cluster.service_accounts.get(workload.pod.get("serviceAccountName", "default"), {})
    if IRSA_ANNOTATION not in account.get("annotations", {}):
        return {}
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint_url}


def run_job(workload: Workload, cluster: Cluster, workdir: Path, hosts_file: Path, address: str,
            endpoint_url: str, **overrides) -> JobResult:
    extra_env = {**aws_stand_in(workload, cluster, endpoint_url), **overrides.pop("extra_env", {})}
    container = pods.start(workload, cluster, workdir, hosts_file, address, extra_env=extra_env, **overrides)
    try:
        code = container.process.wait(timeout=JOB_LIMIT_S)
    except subprocess.TimeoutExpired:
        pods.stop(container, grace_limit=5)
        code = None
    return JobResult(code, time.monotonic() - container.started, container.log, container.identity)
