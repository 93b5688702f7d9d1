"""Shared fixtures for the whole suite."""
import pytest

from pg_server import PostgresParams, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> PostgresParams:
    """One throwaway PostgreSQL server for the session; tests create their own databases in it."""
    with running_postgres() as params:
        yield params


# --- AWS APIs: moto's server on loopback ---------------------------------------------------------
from moto_server import MotoServer, running_moto_server  # noqa: E402 - grouped with its fixtures


@pytest.fixture(scope="session")
def moto_server() -> MotoServer:
    """One moto server for the session (started on 127.0.0.1, stopped at the end)."""
    with running_moto_server() as server:
        yield server


@pytest.fixture
def aws(moto_server: MotoServer) -> MotoServer:
    """The moto server, emptied first so each test builds its own account from nothing."""
    moto_server.reset()
    return moto_server
