"""What a good backup is, shared by backup.py, restore.py and freshness.py.

Layout in the bucket:
    <BACKUP_PREFIX><database>/<YYYYMMDDTHHMMSSZ>.dump      finished backups (pg_dump custom format)
    <BACKUP_PREFIX>.incoming/<database>/<stamp>-<id>.dump  uploads in progress (never a backup)

A backup is *good* when its key has the finished layout and its metadata carries the sha256 and
size that backup.py computed while streaming, with the size equal to the stored object's length.
backup.py writes that metadata only after the dump finished and uploaded in full, and removes
the object again if verification fails; an interrupted upload therefore never looks good.
Restore still re-checks the sha256 over the bytes before it touches a database.

Configuration comes from the environment only (the CronJob mounts these files from a ConfigMap).
The database password is never in it: PGPASSWORD_FILE names the mounted app secret's file, and
only the pg_dump / pg_restore child processes get its content, as libpq's PGPASSWORD.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
from botocore.config import Config

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
STAMP_PATTERN = r"\d{8}T\d{6}Z"
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
# Bounded waits: an unreachable S3 fails the job in seconds instead of hanging the CronJob.
S3_CONFIG = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"})


class ConfigError(ValueError):
    """A required environment variable is missing or malformed."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def libpq_env() -> dict[str, str]:
    """The environment for pg_dump and pg_restore: this one, plus PGPASSWORD from PGPASSWORD_FILE when set."""
    path = os.environ.get("PGPASSWORD_FILE", "").strip()
    if not path:
        return dict(os.environ)
    try:
        with open(path, encoding="utf-8") as secret:
            # Only the trailing newline an editor or `echo` adds is not part of the password.
            password = secret.read().removesuffix("\n")
    except OSError as error:
        raise ConfigError(f"PGPASSWORD_FILE {path} cannot be read: {error.strerror}") from error
    return {**os.environ, "PGPASSWORD": password}


def now() -> dt.datetime:
    """The current UTC time, or BACKUP_NOW (ISO 8601) so tests and drills can set the clock."""
    override = os.environ.get("BACKUP_NOW", "").strip()
    if not override:
        return dt.datetime.now(dt.timezone.utc)
    try:
        moment = dt.datetime.fromisoformat(override.replace("Z", "+00:00"))
    except ValueError as error:
        raise ConfigError(f"BACKUP_NOW is not an ISO 8601 time: {override!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def key_id(kms_key: str) -> str:
    """The key id of a KMS key ARN (S3 answers with the ARN whatever form was sent)."""
    return kms_key.rsplit(":key/", 1)[-1]


def s3_client():
    """An S3 client from the usual chain: AWS_REGION, IRSA credentials, AWS_ENDPOINT_URL_S3 (tests)."""
    return boto3.client("s3", config=S3_CONFIG)


@dataclass(frozen=True)
class Location:
    bucket: str
    prefix: str
    database: str

    @classmethod
    def from_env(cls, database_variable: str = "PGDATABASE") -> Location:
        prefix = os.environ.get("BACKUP_PREFIX", "postgres/").strip()
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(required_env("BACKUP_BUCKET"), prefix, required_env(database_variable))

    @property
    def backups_prefix(self) -> str:
        return f"{self.prefix}{self.database}/"

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.backups_prefix}"

    def backup_key(self, taken_at: dt.datetime) -> str:
        return f"{self.backups_prefix}{taken_at.astimezone(dt.timezone.utc).strftime(STAMP_FORMAT)}.dump"

    def staging_key(self, taken_at: dt.datetime, upload_id: str) -> str:
        stamp = taken_at.astimezone(dt.timezone.utc).strftime(STAMP_FORMAT)
        return f"{self.prefix}.incoming/{self.database}/{stamp}-{upload_id}.dump"

    def taken_at(self, key: str) -> dt.datetime | None:
        """The dump time encoded in a finished backup's key, or None for any other key."""
        match = re.fullmatch(re.escape(self.backups_prefix) + f"({STAMP_PATTERN})\\.dump", key)
        if not match:
            return None
        return dt.datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Backup:
    key: str
    taken_at: dt.datetime
    size: int
    sha256: str
    version_id: str | None


def backup_metadata(location: Location, taken_at: dt.datetime, size: int, sha256: str) -> dict[str, str]:
    return {
        "sha256": sha256,
        "size": str(size),
        "database": location.database,
        "taken-at": taken_at.astimezone(dt.timezone.utc).strftime(STAMP_FORMAT),
        "format": "pg_dump-custom",
    }


def as_good_backup(location: Location, key: str, head: dict) -> Backup | None:
    """The backup described by a HeadObject answer, or None when it is not a good backup."""
    taken_at = location.taken_at(key)
    metadata = head.get("Metadata", {})
    sha256, size = metadata.get("sha256", ""), metadata.get("size", "")
    if taken_at is None or not SHA256_PATTERN.match(sha256) or not size.isdigit():
        return None
    if int(size) != head.get("ContentLength"):
        return None
    return Backup(key, taken_at, int(size), sha256, head.get("VersionId"))


def good_backups(s3, location: Location) -> Iterator[Backup]:
    """The good backups of the database, newest first (stop early to read only the newest)."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.backups_prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if location.taken_at(o["Key"]))
    for key in sorted(keys, reverse=True):  # the stamp sorts lexically in time order
        backup = as_good_backup(location, key, s3.head_object(Bucket=location.bucket, Key=key))
        if backup:
            yield backup


def named_backup(s3, location: Location, key: str) -> Backup:
    backup = as_good_backup(location, key, s3.head_object(Bucket=location.bucket, Key=key))
    if backup is None:
        raise LookupError(f"s3://{location.bucket}/{key} is not a good backup of {location.database}")
    return backup
