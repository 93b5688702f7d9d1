"""A backup whose stored copy does not verify is deleted, so nothing takes it for a good backup.

S3 does not corrupt copies on demand, so the copy step is replaced by one that stores different
bytes under the right metadata; everything else is backup.py's own code against moto's S3.
"""
from __future__ import annotations

import hashlib
import importlib.util
import sys

import pytest

from backup_harness import SCRIPTS, BackupSetup, assert_no_good_backup


def load_backup_module(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))  # backup.py imports backup_catalog beside it
    spec = importlib.util.spec_from_file_location("db_backup_script", SCRIPTS / "backup.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "db_backup_script", module)
    spec.loader.exec_module(module)
    return module


class CorruptingCopy:
    """The real S3 client, except that `copy` stores altered bytes (same length, same metadata)."""

    def __init__(self, s3):
        self._s3 = s3

    def __getattr__(self, name):
        return getattr(self._s3, name)

    def copy(self, source, bucket, key, ExtraArgs):
        data = bytearray(self._s3.get_object(Bucket=source["Bucket"], Key=source["Key"])["Body"].read())
        data[0] ^= 0xFF
        self._s3.put_object(Bucket=bucket, Key=key, Body=bytes(data), **{
            k: v for k, v in ExtraArgs.items() if k != "MetadataDirective"
        })


def test_a_copy_that_does_not_verify_is_deleted(backup_setup: BackupSetup, monkeypatch):
    monkeypatch.setenv("PGDATABASE", backup_setup.server.dbname)
    monkeypatch.setenv("BACKUP_BUCKET", backup_setup.bucket)
    backup = load_backup_module(monkeypatch)
    location = backup.Location.from_env()
    taken_at = backup.now()
    dump = b"PGDMP pretend dump bytes"
    s3 = backup_setup.s3()
    staging = location.staging_key(taken_at, "test")
    staged = s3.put_object(Bucket=backup_setup.bucket, Key=staging, Body=dump,
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=backup_setup.kms_key_arn)
    metadata = backup.backup_metadata(location, taken_at, len(dump), hashlib.sha256(dump).hexdigest())
    key = location.backup_key(taken_at)

    with pytest.raises(backup.BackupFailed, match="do not hash"):
        backup.publish(CorruptingCopy(s3), location, staging, staged["VersionId"], key, backup_setup.kms_key_arn, metadata)

    versions = s3.list_object_versions(Bucket=backup_setup.bucket, Prefix=key)
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
    s3.delete_object(Bucket=backup_setup.bucket, Key=staging, VersionId=staged["VersionId"])
    assert_no_good_backup(backup_setup)
