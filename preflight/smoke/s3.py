"""moto's S3 on the smoke run's loopback, with the buckets the plan creates (versioned, as the
stack makes them), so the backup jobs write where their environment says."""
from __future__ import annotations

import contextlib
import logging
from typing import Iterator

import boto3
from moto.server import ThreadedMotoServer

from preflight.smoke.jobs import FAKE_CREDENTIALS

REGION = "us-east-1"


@contextlib.contextmanager
def running_s3(buckets: list[str]) -> Iterator[str]:
    """Yields moto's endpoint URL; the server stops on exit."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        for bucket in buckets:
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        yield endpoint
    finally:
        server.stop()
