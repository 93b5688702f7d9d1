"""Back up one PostgreSQL database to S3: pg_dump (custom format) streamed, encrypted, verified.

Steps, each of which fails the job (exit 1) without leaving a good-looking backup:
  1. pg_dump -Fc streams into a multipart upload under the staging prefix (SSE-KMS), hashing
     (sha256) and counting bytes on the way; a failed dump or upload aborts the multipart upload.
  2. The staging object is copied to the timestamped key with the sha256 and size as metadata.
  3. The copy is verified: its length, metadata and KMS key (HeadObject), then its bytes are read
     back and hashed. On any mismatch the copy is deleted.
  4. The staging object is deleted.
SIGTERM (pod eviction, job deadline) is handled like a failure, so the upload is aborted.

Environment: PGHOST PGPORT PGUSER PGPASSWORD_FILE PGDATABASE, BACKUP_BUCKET, BACKUP_PREFIX (default
"postgres/"), BACKUP_KMS_KEY_ID, AWS_REGION, optional BACKUP_PART_SIZE_MB (default 16, min 5),
BACKUP_NOW (ISO 8601, sets the clock), AWS_ENDPOINT_URL_S3 (tests). Writes nothing to disk.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys

from backup_catalog import (
    ConfigError, Location, as_good_backup, backup_metadata, key_id, libpq_env, log, now, required_env, s3_client,
)

MIN_PART_MB = 5  # S3's minimum for every part but the last
READ_CHUNK = 1024 * 1024
DUMP_EXIT_TIMEOUT_S = 60


class BackupFailed(RuntimeError):
    pass


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so no `except Exception` swallows it before cleanup."""


def _on_sigterm(signum, frame):
    raise Terminated("terminated by SIGTERM")


def part_size() -> int:
    text = os.environ.get("BACKUP_PART_SIZE_MB", "16").strip()
    if not text.isdigit() or int(text) < MIN_PART_MB:
        raise ConfigError(f"BACKUP_PART_SIZE_MB must be an integer >= {MIN_PART_MB}, got {text!r}")
    return int(text) * 1024 * 1024


def read_part(stream, size: int) -> bytes:
    """Up to `size` bytes; short only at the end of the stream."""
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(min(READ_CHUNK, remaining))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def stream_dump(s3, bucket: str, key: str, kms_key: str, chunk_size: int,
                dump_env: dict[str, str]) -> tuple[int, str, str | None]:
    """Run pg_dump into a multipart upload; return (size, sha256, version id) of the staging object."""
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key,
    )["UploadId"]
    dump = subprocess.Popen(["pg_dump", "--format=custom", "--no-password"], stdout=subprocess.PIPE, env=dump_env)
    try:
        digest, size, parts = hashlib.sha256(), 0, []
        while part := read_part(dump.stdout, chunk_size):
            digest.update(part)
            size += len(part)
            number = len(parts) + 1
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part)["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        code = dump.wait(timeout=DUMP_EXIT_TIMEOUT_S)
        if code != 0:
            raise BackupFailed(f"pg_dump exited with {code}")
        done = s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts},
        )
        return size, digest.hexdigest(), done.get("VersionId")
    except BaseException:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception as error:  # noqa: BLE001 - the original failure is the one to report
            log(f"could not abort multipart upload {upload_id}: {error}")
        raise
    finally:
        if dump.poll() is None:
            dump.kill()
        dump.wait()


def sha256_of_object(s3, bucket: str, key: str, version_id: str | None) -> str:
    extra = {"VersionId": version_id} if version_id else {}
    body = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
    digest = hashlib.sha256()
    for chunk in body.iter_chunks(READ_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def delete(s3, bucket: str, key: str, version_id: str | None) -> bool:
    """Delete the exact version (so no old version resurfaces); report instead of raising."""
    try:
        s3.delete_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))
        return True
    except Exception as error:  # noqa: BLE001 - callers decide what a failed delete means
        log(f"could not delete s3://{bucket}/{key}: {error}")
        return False


def publish(s3, location: Location, staging: str, staging_version: str | None, key: str,
            kms_key: str, metadata: dict[str, str]) -> str | None:
    """Copy the staging object to `key` with metadata and verify it; delete it if it does not verify."""
    source = {"Bucket": location.bucket, "Key": staging, **({"VersionId": staging_version} if staging_version else {})}
    version = None
    try:
        s3.copy(source, location.bucket, key, ExtraArgs={
            "Metadata": metadata, "MetadataDirective": "REPLACE",
            "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key,
        })
        head = s3.head_object(Bucket=location.bucket, Key=key)
        version = head.get("VersionId")
        backup = as_good_backup(location, key, head)
        if backup is None or backup.sha256 != metadata["sha256"] or backup.size != int(metadata["size"]):
            raise BackupFailed(
                f"stored object does not match the dump: {head.get('ContentLength')} bytes, {head.get('Metadata')}"
            )
        if head.get("ServerSideEncryption") != "aws:kms" or key_id(head.get("SSEKMSKeyId", "")) != key_id(kms_key):
            raise BackupFailed(f"stored object is not encrypted with {kms_key}: {head.get('SSEKMSKeyId')}")
        if sha256_of_object(s3, location.bucket, key, version) != metadata["sha256"]:
            raise BackupFailed("stored object's bytes do not hash to the dump's sha256")
        return version
    except BaseException:
        delete(s3, location.bucket, key, version)
        raise


def run() -> dict:
    location = Location.from_env()
    kms_key = required_env("BACKUP_KMS_KEY_ID")
    chunk_size = part_size()
    dump_env = libpq_env()
    taken_at = now()
    s3 = s3_client()
    key = location.backup_key(taken_at)
    staging = location.staging_key(taken_at, secrets.token_hex(4))

    size, sha256, staging_version = stream_dump(s3, location.bucket, staging, kms_key, chunk_size, dump_env)
    try:
        metadata = backup_metadata(location, taken_at, size, sha256)
        version = publish(s3, location, staging, staging_version, key, kms_key, metadata)
    finally:
        staging_removed = delete(s3, location.bucket, staging, staging_version)
    if not staging_removed:
        raise BackupFailed(f"backup {key} is good, but the staging object {staging} is left behind")
    return {"bucket": location.bucket, "key": key, "versionId": version, "size": size, "sha256": sha256}


def main() -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = run()
    except ConfigError as error:
        log(f"backup: configuration: {error}")
        return 2
    except (Exception, Terminated) as error:  # noqa: BLE001 - every failure ends the job non-zero
        log(f"backup failed: {type(error).__name__}: {error}")
        return 1
    print(json.dumps(result))
    log(f"backup: s3://{result['bucket']}/{result['key']} ({result['size']} bytes, sha256 {result['sha256']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
