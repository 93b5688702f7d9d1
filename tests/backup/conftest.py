"""Fixtures of the backup tests (the servers themselves come from tests/conftest.py)."""
import pytest

from backup_harness import BackupSetup, make_setup
from moto_server import MotoServer
from pg_server import PostgresParams


@pytest.fixture
def backup_setup(postgres_server: PostgresParams, aws: MotoServer, tmp_path) -> BackupSetup:
    """A fresh source database, versioned bucket and KMS key, and the password file, as the platform provides them."""
    return make_setup(postgres_server, aws.endpoint_url, tmp_path)
