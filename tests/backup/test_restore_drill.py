"""drill.py against a real server and moto's S3: a good backup passes, anything else fails, and the
scratch database is gone either way."""
from __future__ import annotations

import hashlib
import json
import os

from backup_harness import SEED_SQL

SCRATCH_DATABASES = "SELECT datname FROM pg_database WHERE datname LIKE 'restore\\_drill\\_%'"


def scratch_databases(setup) -> list[str]:
    return setup.psql(SCRATCH_DATABASES).split()


def backed_up(setup, sql: str = SEED_SQL) -> dict:
    setup.psql(sql)
    result = setup.run("backup.py")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_failed(result, reason: str) -> None:
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("drill failed:")]
    assert len(failures) == 1 and reason in failures[0], result.stderr


def test_good_backup_passes_every_check_and_leaves_no_scratch_database(backup_setup):
    stored = backed_up(backup_setup)

    result = backup_setup.run("drill.py")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["key"] == stored["key"]
    assert report["check"] == "pg_amcheck"
    assert report["rowCounts"] == {"public.authors": 50, "public.notes": 2000, "public.blobs": 12}
    assert scratch_databases(backup_setup) == []


def test_without_pg_amcheck_the_amcheck_functions_check(backup_setup, tmp_path):
    backed_up(backup_setup)
    # The server's client tools, all but pg_amcheck, as on an image without it.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in backup_setup.server.bindir.iterdir():
        if tool.name != "pg_amcheck":
            (bindir / tool.name).symlink_to(tool)

    result = backup_setup.run("drill.py", PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["check"] == "amcheck"
    assert scratch_databases(backup_setup) == []


def test_no_backup_fails(backup_setup):
    backup_setup.psql("CREATE TABLE t (id int)")

    result = backup_setup.run("drill.py")

    assert_failed(result, "no good backup")
    assert scratch_databases(backup_setup) == []


def test_corrupt_dump_with_matching_checksum_fails_and_drops_the_scratch_database(backup_setup):
    stored = backed_up(backup_setup, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
    # Bytes that are no dump, recorded as if the backup had written them: only pg_restore can tell.
    garbage = b"not a pg_dump archive" * 100
    metadata = {**backup_setup.s3().head_object(Bucket=backup_setup.bucket, Key=stored["key"])["Metadata"],
                "sha256": hashlib.sha256(garbage).hexdigest(), "size": str(len(garbage))}
    backup_setup.s3().put_object(Bucket=backup_setup.bucket, Key=stored["key"], Body=garbage, Metadata=metadata)

    result = backup_setup.run("drill.py")

    assert_failed(result, "pg_restore exited with 1")
    assert scratch_databases(backup_setup) == []


def test_table_missing_from_the_backup_fails(backup_setup):
    backed_up(backup_setup, "CREATE TABLE t (id int PRIMARY KEY)")
    backup_setup.psql("CREATE TABLE added_later (id int)")

    result = backup_setup.run("drill.py")

    assert_failed(result, "lacks 1 table(s)")
    assert "public.added_later" in result.stderr
    assert scratch_databases(backup_setup) == []
