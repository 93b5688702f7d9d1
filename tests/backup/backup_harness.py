"""Run the db-backup scripts the way the CronJob does: as programs, configured by environment, with
the database password in a file (the CronJob mounts the app secret) and never in the environment.

The scripts talk to a real PostgreSQL server (tests/pg_server.py) and to moto's S3 on loopback.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3

from moto_server import FAKE_CREDENTIALS
from pg_server import PostgresParams

SCRIPTS = Path(__file__).resolve().parents[2] / "app" / "db-backup"
REGION = "eu-west-1"
RUN_TIMEOUT_S = 120

# Rows of every column type the app's tables use, plus a sequence and a foreign key, so the
# comparison covers more than integers. One table is large enough to span several upload parts.
SEED_SQL = """
CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL, joined timestamptz NOT NULL);
CREATE TABLE notes (
    id bigserial PRIMARY KEY, author_id int NOT NULL REFERENCES authors(id),
    body text, score numeric(10, 3), tags jsonb, attachment bytea
);
CREATE INDEX notes_author ON notes (author_id);
INSERT INTO authors (name, joined)
    SELECT 'author ' || i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour' FROM generate_series(1, 50) i;
INSERT INTO notes (author_id, body, score, tags, attachment)
    SELECT 1 + i % 50, 'note ' || i || ' ' || md5(i::text), i / 7.0,
           jsonb_build_object('n', i, 'even', i % 2 = 0), decode(md5(i::text), 'hex')
    FROM generate_series(1, 2000) i;
CREATE TABLE blobs (id int PRIMARY KEY, payload bytea NOT NULL);
-- Random bytes do not compress: ~12 MB of dump, i.e. three parts of 5 MB.
INSERT INTO blobs SELECT i, decode(string_agg(md5(random()::text || i || j), ''), 'hex')
    FROM generate_series(1, 12) i, generate_series(1, 65536) j GROUP BY i;
"""


@dataclass(frozen=True)
class BackupSetup:
    """One source database, one versioned bucket and one KMS key, as the platform provides them."""

    server: PostgresParams
    endpoint_url: str
    bucket: str
    kms_key_arn: str
    password_file: Path
    prefix: str = "postgres/"

    def s3(self):
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION, **FAKE_CREDENTIALS)

    def env(self, **overrides: str) -> dict[str, str]:
        """The CronJob's environment; `overrides` replace or add variables."""
        env = {
            **os.environ,
            **self.server.env(),
            "PGPASSWORD_FILE": str(self.password_file),
            "PATH": f"{self.server.bindir}{os.pathsep}{os.environ['PATH']}",
            "BACKUP_BUCKET": self.bucket,
            "BACKUP_PREFIX": self.prefix,
            "BACKUP_KMS_KEY_ID": self.kms_key_arn,
            "BACKUP_PART_SIZE_MB": "5",
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIALS["aws_secret_access_key"],
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.pop("AWS_PROFILE", None)
        env.pop("PGPASSWORD")
        env.update(overrides)
        return env

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(SCRIPTS / script), *args],
            env=self.env(**env), capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        )

    def start(self, script: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(SCRIPTS / script)], env=self.env(**env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def objects(self) -> list[str]:
        """Every object version and delete marker in the bucket, under any prefix."""
        listing = self.s3().list_object_versions(Bucket=self.bucket)
        return [v["Key"] for v in listing.get("Versions", [])]

    def psql(self, sql: str, dbname: str | None = None) -> str:
        env = {**os.environ, **self.server.env(), **({"PGDATABASE": dbname} if dbname else {})}
        result = subprocess.run(
            [self.server.tool("psql"), "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=True,
        )
        return result.stdout


def make_setup(server: PostgresParams, endpoint_url: str, workdir: Path) -> BackupSetup:
    source = server.create_database(f"app_{secrets.token_hex(4)}")
    password_file = workdir / "db-password"
    password_file.write_text(server.password + "\n")  # as a secret written with `echo` may end
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=REGION, **FAKE_CREDENTIALS)
    kms = boto3.client("kms", endpoint_url=endpoint_url, region_name=REGION, **FAKE_CREDENTIALS)
    bucket = "platform-db-backups"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = kms.create_key(Description="backups")["KeyMetadata"]["Arn"]
    return BackupSetup(server=source, endpoint_url=endpoint_url, bucket=bucket, kms_key_arn=key, password_file=password_file)


def table_contents(setup: BackupSetup, dbname: str) -> dict[str, str]:
    """Each table's rows as text, in primary-key order: equal dicts mean equal data."""
    tables = setup.psql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", dbname
    ).split()
    return {t: setup.psql(f"COPY (SELECT * FROM {t} ORDER BY 1) TO STDOUT", dbname) for t in tables}


def assert_no_good_backup(setup: BackupSetup) -> None:
    """No finished object, and both restore and the freshness check find nothing to take."""
    finished = [k for k in setup.objects() if not k.startswith(f"{setup.prefix}.incoming/")]
    assert finished == []
    freshness = setup.run("freshness.py")
    assert freshness.returncode == 1 and "no good backup" in freshness.stderr
    restore = setup.run("restore.py", RESTORE_DATABASE="never_created")
    assert restore.returncode == 1 and "no good backup" in restore.stderr
