"""Restore a backup into an (empty) database, after proving its bytes are the ones backed up.

    python3 restore.py --list     the good backups of PGDATABASE, newest first (JSON lines)
    python3 restore.py            restore the newest good backup into RESTORE_DATABASE
    BACKUP_KEY=<key> python3 restore.py   restore that backup instead

The backup is downloaded to TMPDIR (default /tmp) while its sha256 is computed; pg_restore runs
only if the sha256 and size equal the ones recorded at backup time. pg_restore runs in a single
transaction and stops at the first error, so a failed restore leaves the target as it was.
Objects are restored without their original owner and grants (--no-owner --no-privileges): a
single-database dump carries no roles, so the restoring user owns what it restores.

Environment: PGHOST PGPORT PGUSER PGPASSWORD_FILE, PGDATABASE (whose backups), RESTORE_DATABASE (the
target), BACKUP_BUCKET, BACKUP_PREFIX, AWS_REGION, optional BACKUP_KEY, AWS_ENDPOINT_URL_S3 (tests).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from backup_catalog import (
    Backup, ConfigError, Location, good_backups, libpq_env, log, named_backup, required_env, s3_client,
)

READ_CHUNK = 1024 * 1024


class RestoreFailed(RuntimeError):
    pass


def chosen_backup(s3, location: Location) -> Backup:
    key = os.environ.get("BACKUP_KEY", "").strip()
    if key:
        return named_backup(s3, location, key)
    newest = next(good_backups(s3, location), None)
    if newest is None:
        raise RestoreFailed(f"no good backup of {location.database} under {location.url}")
    return newest


def download_verified(s3, location: Location, backup: Backup, path: str) -> None:
    extra = {"VersionId": backup.version_id} if backup.version_id else {}
    body = s3.get_object(Bucket=location.bucket, Key=backup.key, **extra)["Body"]
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as out:
        for chunk in body.iter_chunks(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != backup.size or digest.hexdigest() != backup.sha256:
        raise RestoreFailed(
            f"{backup.key} does not match its recorded checksum: {size} bytes sha256 {digest.hexdigest()}, "
            f"recorded {backup.size} bytes sha256 {backup.sha256}; nothing was restored"
        )


def restore(dump_path: str, target: str, restore_env: dict[str, str]) -> None:
    result = subprocess.run([
        "pg_restore", "--no-password", "--dbname", target,
        "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", dump_path,
    ], env=restore_env)
    if result.returncode != 0:
        raise RestoreFailed(f"pg_restore exited with {result.returncode}; the transaction was rolled back")


def as_json(backup: Backup) -> str:
    return json.dumps(
        {"key": backup.key, "takenAt": backup.taken_at.isoformat(), "size": backup.size, "sha256": backup.sha256}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the good backups, newest first, and exit")
    args = parser.parse_args(argv)
    try:
        location = Location.from_env()
        s3 = s3_client()
        if args.list:
            for backup in good_backups(s3, location):
                print(as_json(backup))
            return 0
        target = required_env("RESTORE_DATABASE")
        restore_env = libpq_env()
        backup = chosen_backup(s3, location)
        log(f"restore: {backup.key} ({backup.size} bytes) into database {target}")
        with tempfile.TemporaryDirectory(prefix="restore-") as workdir:
            dump_path = os.path.join(workdir, "backup.dump")
            download_verified(s3, location, backup, dump_path)
            restore(dump_path, target, restore_env)
    except ConfigError as error:
        log(f"restore: configuration: {error}")
        return 2
    except Exception as error:  # noqa: BLE001 - every failure ends the job non-zero, with its reason
        log(f"restore failed: {type(error).__name__}: {error}")
        return 1
    print(as_json(backup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
