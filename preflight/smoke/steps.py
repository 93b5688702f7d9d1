"""What the smoke run does with the running workloads: a note written and read through the
frontend into PostgreSQL, then the backup CronJob, the README's restore procedure and the
freshness CronJob against that database and moto's S3."""
from __future__ import annotations

import http.client
import re
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from preflight.smoke import pods
from preflight.smoke.cluster import Cluster, Workload
from preflight.smoke.jobs import JobResult, run_job
from preflight.smoke.report import Report, log_tail
from preflight.stack_files import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
REQUEST_TIMEOUT_S = 10
RESTORE_DATABASE = "restored"
# The Service the request goes through: the app's entry point (POST /notes, GET /).
FRONTEND = "frontend"


@dataclass(frozen=True)
class Site:
    """Where the smoke run keeps each pod's files and how pods reach each other."""

    cluster: Cluster
    workspace: Path
    hosts: dict[str, Path]  # workload -> its /etc/hosts
    addresses: dict[str, str]  # workload -> its pod address
    s3_endpoint: str

    def address_of(self, service: str) -> tuple[str, int]:
        spec = self.cluster.services[service]
        return self.addresses[self.cluster.backing(spec).name], spec["ports"][0]["port"]


def restore_procedure() -> str:
    """The first ```sh block under "### Restore procedure" in README.md, exactly as documented."""
    section = README.read_text().split("### Restore procedure", 1)[-1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    if not match:
        raise LookupError("README.md has no ```sh block under '### Restore procedure'")
    return match.group(1)


def _request(host: str, port: int, method: str, path: str, body: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def _sql(postgres: pods.Container, database: str, query: str) -> str:
    """A query in the database container, as `kubectl exec postgres -- psql` runs it (its own user, the socket)."""
    user = postgres.env.get("POSTGRES_USER", "postgres")
    result = pods.exec_in(postgres, ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", database, "-c", query], 30)
    if result.returncode != 0:
        raise RuntimeError(f"psql: {result.stderr.strip()}")
    return result.stdout.strip()


def end_to_end(report: Report, site: Site, postgres: pods.Container) -> tuple[bool, str]:
    """POST a note to the frontend, see it on its page, find it in PostgreSQL; returns (ok, the note)."""
    note = f"smoke-{secrets.token_hex(6)}"
    subject = "frontend->postgres"
    try:
        host, port = site.address_of(FRONTEND)
        status, _ = _request(host, port, "POST", "/notes", urllib.parse.urlencode({"text": note}))
        if status != 303:
            return report.line(False, subject, "write", f"POST /notes answered {status}, not 303"), note
        status, page = _request(host, port, "GET", "/")
        if status != 200 or note not in page:
            return report.line(False, subject, "read", f"GET / answered {status} {'with' if note in page else 'without'} the note"), note
        stored = _sql(postgres, postgres.env.get("POSTGRES_DB", "postgres"), f"SELECT count(*) FROM notes WHERE text = '{note}'")
    except (OSError, http.client.HTTPException, RuntimeError, LookupError) as error:
        return report.line(False, subject, "request", f"{type(error).__name__}: {error}"), note
    return report.line(stored == "1", subject, "request", f"POST /notes -> 303, GET / shows {note!r}, "
                       f"rows in the notes table: {stored}"), note


def _job_line(report: Report, subject: str, what: str, result: JobResult, detail: str = "") -> bool:
    ok = result.code == 0
    outcome = "stopped at the deadline" if result.code is None else f"exit {result.code}"
    report.line(ok, subject, what, f"{outcome} in {result.seconds:.1f} s ({result.identity}){detail}")
    if not ok:
        report.note(log_tail(result.log))
    return ok


def _script_job(site: Site, script: str) -> Workload:
    """The CronJob whose command runs this script of the backup image."""
    for workload in site.cluster.workloads.values():
        command = workload.pod["containers"][0].get("command", [])
        if workload.kind == "CronJob" and command and PurePosixPath(command[-1]).name == script:
            return workload
    raise LookupError(f"no CronJob runs {script}")


def backups(report: Report, site: Site, postgres: pods.Container, note: str) -> bool:
    """The backup CronJob, the README's restore procedure in a pod of the backup job, the freshness CronJob."""
    try:
        return _backups(report, site, postgres, note)
    except (LookupError, ValueError, OSError) as error:  # a job the run cannot make, with the reason
        return report.line(False, "backups", "start", str(error))


def _backups(report: Report, site: Site, postgres: pods.Container, note: str) -> bool:
    backup, freshness = _script_job(site, "backup.py"), _script_job(site, "freshness.py")

    def run(workload: Workload, name: str, **overrides) -> JobResult:
        return run_job(workload, site.cluster, site.workspace / name, site.hosts[workload.name],
                       site.addresses[workload.name], site.s3_endpoint, **overrides)

    result = run(backup, "backup-job")
    last = result.output.strip().splitlines()[-1:] or [""]
    if not _job_line(report, backup.name, "job", result, f": {last[0]}"):
        return False
    # README: from the scripts' directory, with the backup CronJob's environment and RESTORE_DATABASE.
    scripts = str(PurePosixPath(backup.pod["containers"][0]["command"][-1]).parent)
    result = run(backup, "restore-drill", command=["bash", "-euo", "pipefail", "-c", restore_procedure()],
                 working_dir=scripts, extra_env={"RESTORE_DATABASE": RESTORE_DATABASE})
    if not _job_line(report, "restore", "README", result):
        return False
    try:
        restored = _sql(postgres, RESTORE_DATABASE, f"SELECT count(*) FROM notes WHERE text = '{note}'")
    except RuntimeError as error:
        return report.line(False, "restore", "data", str(error))
    if not report.line(restored == "1", "restore", "data", f"database {RESTORE_DATABASE} holds the note: {restored} row"):
        return False
    return _job_line(report, freshness.name, "job", run(freshness, "freshness-job"))
