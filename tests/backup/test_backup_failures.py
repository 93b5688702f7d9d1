"""Every failed or interrupted backup exits non-zero and leaves nothing restore or freshness would take."""
from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from backup_harness import SEED_SQL, BackupSetup, assert_no_good_backup
from stalled_dump import install, stop_stalled

POLL_S = 0.05
POLL_LIMIT = 400  # 20 s at most


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uploads_in_progress(setup: BackupSetup) -> list[dict]:
    return setup.s3().list_multipart_uploads(Bucket=setup.bucket).get("Uploads", [])


def wait_for_uploaded_part(setup: BackupSetup) -> None:
    for _ in range(POLL_LIMIT):
        uploads = uploads_in_progress(setup)
        if uploads:
            parts = setup.s3().list_parts(Bucket=setup.bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"])
            if parts.get("Parts"):
                return
        time.sleep(POLL_S)
    raise AssertionError("the backup never uploaded a part")


def test_database_unreachable(backup_setup):
    result = backup_setup.run("backup.py", PGPORT=str(closed_port()))

    assert result.returncode == 1
    assert "pg_dump exited with 1" in result.stderr
    assert uploads_in_progress(backup_setup) == []
    assert backup_setup.objects() == []
    assert_no_good_backup(backup_setup)


def test_s3_unreachable(backup_setup):
    result = backup_setup.run("backup.py", AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{closed_port()}")

    assert result.returncode == 1
    assert "Could not connect" in result.stderr
    assert_no_good_backup(backup_setup)


def test_bucket_missing(backup_setup):
    result = backup_setup.run("backup.py", BACKUP_BUCKET="no-such-bucket")

    assert result.returncode == 1
    assert "NoSuchBucket" in result.stderr
    assert_no_good_backup(backup_setup)


def test_dump_that_dies_mid_stream_aborts_the_upload(backup_setup, tmp_path):
    backup_setup.psql(SEED_SQL)
    bin_dir = install(tmp_path, backup_setup.server.tool("pg_dump"), then="fail")

    result = backup_setup.run("backup.py", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    assert result.returncode == 1
    assert "pg_dump exited with 1" in result.stderr
    assert uploads_in_progress(backup_setup) == []
    assert_no_good_backup(backup_setup)


def test_sigterm_mid_upload_aborts_the_upload(backup_setup, tmp_path):
    backup_setup.psql(SEED_SQL)
    bin_dir = install(tmp_path, backup_setup.server.tool("pg_dump"), then="stall")
    job = backup_setup.start("backup.py", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    try:
        wait_for_uploaded_part(backup_setup)
        job.send_signal(signal.SIGTERM)  # what Kubernetes sends first when it stops the pod
        _, stderr = job.communicate(timeout=60)
    finally:
        job.kill()
        stop_stalled(bin_dir)

    assert job.returncode == 1
    assert "terminated by SIGTERM" in stderr
    assert uploads_in_progress(backup_setup) == []
    assert_no_good_backup(backup_setup)


def test_sigkill_mid_upload_leaves_only_an_incomplete_upload(backup_setup, tmp_path):
    backup_setup.psql(SEED_SQL)
    bin_dir = install(tmp_path, backup_setup.server.tool("pg_dump"), then="stall")
    job = backup_setup.start("backup.py", PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    try:
        wait_for_uploaded_part(backup_setup)
        job.kill()  # no chance to clean up: the bucket's lifecycle rule expires the upload later
    finally:
        stop_stalled(bin_dir)  # it holds the job's output pipes open
    job.communicate(timeout=60)

    assert job.returncode == -signal.SIGKILL
    assert len(uploads_in_progress(backup_setup)) == 1
    assert_no_good_backup(backup_setup)


def test_an_unreadable_password_file_is_refused_before_anything_runs(backup_setup):
    result = backup_setup.run("backup.py", PGPASSWORD_FILE="/nonexistent/db-password")

    assert result.returncode == 2
    assert "PGPASSWORD_FILE /nonexistent/db-password cannot be read" in result.stderr
    assert backup_setup.objects() == [] and uploads_in_progress(backup_setup) == []


@pytest.mark.parametrize("variable", ["BACKUP_BUCKET", "BACKUP_KMS_KEY_ID", "PGDATABASE"])
def test_missing_configuration_is_refused_before_anything_runs(backup_setup, variable):
    result = backup_setup.run("backup.py", **{variable: ""})

    assert result.returncode == 2
    assert variable in result.stderr
    assert backup_setup.objects() == []
