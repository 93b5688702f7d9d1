"""A throwaway PostgreSQL server for tests, from the Debian `postgresql` package.

`running_postgres()` creates a cluster in a temporary directory, starts it on 127.0.0.1 at a free
port with password authentication, yields its connection parameters and stops and removes it on
exit. initdb refuses to run as root, so when the tests run as root the cluster is owned by, and
the server runs as, the `postgres` system user (through `runuser`).
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

SUPERUSER = "postgres"
START_ATTEMPTS = 3  # a free port can be taken between choosing it and binding it
START_TIMEOUT_S = 30


@dataclass(frozen=True)
class PostgresParams:
    """How to reach one database of the running server."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    bindir: Path

    @property
    def url(self) -> str:
        """A libpq URL, the shape of a service's DATABASE_URL."""
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(self.dbname, safe='')}"
        )

    def env(self) -> dict[str, str]:
        """libpq environment variables, for psql, pg_dump and pg_restore."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
        }

    def tool(self, name: str) -> str:
        """Path of a client program of the same PostgreSQL version (psql, pg_dump, ...)."""
        return str(self.bindir / name)

    def create_database(self, dbname: str) -> "PostgresParams":
        """Create an empty database and return the parameters that reach it."""
        subprocess.run(
            [self.tool("createdb"), dbname],
            env={**os.environ, **self.env()},
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        return replace(self, dbname=dbname)


def postgres_bindir() -> Path:
    """The newest installed server's bin directory."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    if not candidates:
        raise RuntimeError(
            "no PostgreSQL server binaries under /usr/lib/postgresql: "
            "install the Debian package `postgresql` (.ci/run does)"
        )
    newest = max(candidates, key=lambda path: int(Path(path).parts[-3]))
    return Path(newest).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *argv]
    return argv


def _give_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam(SUPERUSER)
        os.chown(path, account.pw_uid, account.pw_gid)


def _run(argv: list[str]) -> None:
    result = subprocess.run(
        _as_server_user(argv), capture_output=True, text=True, timeout=START_TIMEOUT_S
    )
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def _init_cluster(bindir: Path, workdir: Path, password: str) -> Path:
    datadir = workdir / "data"
    pwfile = workdir / "pwfile"
    pwfile.write_text(password + "\n")
    _give_to_server_user(pwfile)
    _run([
        str(bindir / "initdb"),
        "--pgdata", str(datadir),
        "--username", SUPERUSER,
        "--pwfile", str(pwfile),
        "--auth", "scram-sha-256",
        "--encoding", "UTF8",
        "--no-instructions",
    ])
    pwfile.unlink()
    return datadir


def _start(bindir: Path, workdir: Path, datadir: Path) -> int:
    last_error: Exception | None = None
    for _ in range(START_ATTEMPTS):
        port = free_port()
        options = f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off"
        try:
            _run([
                str(bindir / "pg_ctl"), "start", "--wait", "--timeout", str(START_TIMEOUT_S),
                "--pgdata", str(datadir), "--log", str(workdir / "server.log"), "-o", options,
            ])
            return port
        except RuntimeError as error:
            last_error = error
    log = (workdir / "server.log").read_text() if (workdir / "server.log").exists() else ""
    raise RuntimeError(f"PostgreSQL did not start: {last_error}\n{log}")


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresParams]:
    """Start a throwaway server, yield its superuser connection parameters, then remove it."""
    bindir = postgres_bindir()
    workdir = Path(tempfile.mkdtemp(prefix="pg-test-"))
    _give_to_server_user(workdir)
    password = secrets.token_urlsafe(16)
    datadir = _init_cluster(bindir, workdir, password)
    try:
        port = _start(bindir, workdir, datadir)
        try:
            yield PostgresParams(
                host="127.0.0.1", port=port, user=SUPERUSER, password=password,
                dbname="postgres", bindir=bindir,
            )
        finally:
            _run([str(bindir / "pg_ctl"), "stop", "--wait", "--mode", "fast", "--pgdata", str(datadir)])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
