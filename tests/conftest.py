"""Shared fixtures for the whole suite."""
import pytest

from pg_server import PostgresParams, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> PostgresParams:
    """One throwaway PostgreSQL server for the session; tests create their own databases in it."""
    with running_postgres() as params:
        yield params
