"""Back up a real database to S3 and restore it with the README's procedure: the data must match."""
from __future__ import annotations

import json
import re
import subprocess

from backup_harness import SCRIPTS, SEED_SQL, table_contents
from readme_procedure import restore_procedure


def run_readme_procedure(setup, target: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", restore_procedure()],
        cwd=SCRIPTS, env=setup.env(RESTORE_DATABASE=target, **env),
        capture_output=True, text=True, timeout=300,
    )


def test_backup_then_readme_restore_gives_the_same_data(backup_setup):
    backup_setup.psql(SEED_SQL)
    backup = backup_setup.run("backup.py")
    assert backup.returncode == 0, backup.stderr
    stored = json.loads(backup.stdout)

    restored = run_readme_procedure(backup_setup, "restored")

    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout.splitlines()[0])["key"] == stored["key"]  # step 1 lists it
    source = table_contents(backup_setup, backup_setup.server.dbname)
    assert set(source) == {"authors", "notes", "blobs"}
    assert table_contents(backup_setup, "restored") == source
    assert re.search(r"^ blobs +\| 12$", restored.stdout, re.MULTILINE)  # step 4 shows the row counts


def test_backup_is_multipart_kms_encrypted_with_checksum_metadata(backup_setup):
    backup_setup.psql(SEED_SQL)

    stored = json.loads(backup_setup.run("backup.py").stdout)

    head = backup_setup.s3().head_object(Bucket=backup_setup.bucket, Key=stored["key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(backup_setup.kms_key_arn.rsplit("/", 1)[-1])
    assert head["Metadata"]["sha256"] == stored["sha256"]
    assert int(head["Metadata"]["size"]) == head["ContentLength"] == stored["size"] > 10 * 1024 * 1024
    # Only the finished backup remains: the staging object is gone.
    assert backup_setup.objects() == [stored["key"]]


def test_restore_of_a_named_older_backup(backup_setup):
    backup_setup.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
    older = json.loads(backup_setup.run("backup.py", BACKUP_NOW="2030-01-01T00:00:00Z").stdout)
    backup_setup.psql("INSERT INTO t VALUES (2)")
    assert backup_setup.run("backup.py", BACKUP_NOW="2030-01-02T00:00:00Z").returncode == 0

    restored = run_readme_procedure(backup_setup, "older", BACKUP_KEY=older["key"])

    assert restored.returncode == 0, restored.stderr
    assert backup_setup.psql("SELECT id FROM t", "older").split() == ["1"]


def test_restore_refuses_a_backup_whose_bytes_changed(backup_setup):
    backup_setup.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
    stored = json.loads(backup_setup.run("backup.py").stdout)
    s3 = backup_setup.s3()
    original = s3.get_object(Bucket=backup_setup.bucket, Key=stored["key"])
    tampered = bytearray(original["Body"].read())
    tampered[-1] ^= 0xFF  # same size, same metadata, different bytes
    s3.put_object(Bucket=backup_setup.bucket, Key=stored["key"], Body=bytes(tampered), Metadata=original["Metadata"])

    restored = run_readme_procedure(backup_setup, "tampered")

    assert restored.returncode != 0
    assert "does not match its recorded checksum" in restored.stderr
    assert backup_setup.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "tampered").strip() == "0"
