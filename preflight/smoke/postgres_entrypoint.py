"""Stand-in for the official PostgreSQL image's entrypoint (docker-entrypoint.sh), for the smoke run.

It runs inside the smoke's container as the pod's uid and does what the image's entrypoint does
with the variables this stack sets, on the path a non-root pod takes (no chown, no privilege drop):
  - POSTGRES_PASSWORD, POSTGRES_USER and POSTGRES_DB, each also from a file named by <NAME>_FILE;
  - PGDATA and /var/run/postgresql created (and tightened where the owner may);
  - on the first start: initdb as POSTGRES_USER with the password from a pipe, under nss_wrapper
    when the uid has no passwd entry (its two files live in /tmp, as the image's do), `host all
    all all scram-sha-256` appended to pg_hba.conf, listen_addresses '*' (the image's sample
    config), POSTGRES_DB created by a server listening on the socket only;
  - then `postgres` in place of this process.
"""
from __future__ import annotations

import glob
import os
import pwd
import shlex
import subprocess
import sys
import tempfile

SOCKET_DIR = "/var/run/postgresql"
NSS_WRAPPERS = ("/usr/lib/*/libnss_wrapper.so", "/usr/lib/libnss_wrapper.so", "/lib/*/libnss_wrapper.so")


def file_env(name: str, default: str = "") -> str:
    value, path = os.environ.get(name, ""), os.environ.get(f"{name}_FILE", "")
    if value and path:
        sys.exit(f"error: both {name} and {name}_FILE are set (but are exclusive)")
    if path:
        with open(path, encoding="utf-8") as source:
            value = source.read().rstrip("\n")  # as the shell's $(< file) reads it
    return value or default


def nss_wrapper_env(workdir: str) -> dict[str, str]:
    """initdb needs a passwd entry for its uid: nss_wrapper fakes one, as the image does."""
    try:
        pwd.getpwuid(os.getuid())
        return {}
    except KeyError:
        pass
    wrappers = [path for pattern in NSS_WRAPPERS for path in glob.glob(pattern)]
    if not wrappers:
        return {}
    passwd, group = os.path.join(workdir, "passwd"), os.path.join(workdir, "group")
    with open(passwd, "w", encoding="utf-8") as out:
        out.write(f"postgres:x:{os.getuid()}:{os.getgid()}:PostgreSQL:{os.environ['PGDATA']}:/bin/false\n")
    with open(group, "w", encoding="utf-8") as out:
        out.write(f"postgres:x:{os.getgid()}:\n")
    return {"LD_PRELOAD": wrappers[0], "NSS_WRAPPER_PASSWD": passwd, "NSS_WRAPPER_GROUP": group}


def initdb(user: str, password: str) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, f"{password}\n".encode())
    os.close(write_end)
    with tempfile.TemporaryDirectory() as workdir:
        env = {**os.environ, **nss_wrapper_env(workdir)}
        subprocess.run(["initdb", f"--username={user}", f"--pwfile=/dev/fd/{read_end}",
                        *shlex.split(os.environ.get("POSTGRES_INITDB_ARGS", ""))],
                       env=env, pass_fds=(read_end,), check=True)
    os.close(read_end)


def create_database(pgdata: str, user: str, password: str, database: str) -> None:
    env = {**os.environ, "PGUSER": user, "PGPASSWORD": password}
    pg_ctl = ["pg_ctl", "-D", pgdata, "-w"]
    subprocess.run([*pg_ctl, "-o", "-c listen_addresses='' -p 5432", "start"], env=env, check=True)
    try:
        if database != "postgres":
            psql = ["psql", "-v", "ON_ERROR_STOP=1", "--no-password", "--dbname", "postgres", "--tuples-only",
                    "--set", f"db={database}"]
            # psql interpolates :'db' only in what it reads, not in -c.
            exists = subprocess.run(psql, input="SELECT 1 FROM pg_database WHERE datname = :'db';", env=env,
                                    check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
            if not exists:
                subprocess.run(psql, input='CREATE DATABASE :"db";', env=env, check=True, text=True)
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], env=env, check=True)


def main(argv: list[str]) -> None:
    if argv and argv[0].startswith("-"):
        argv = ["postgres", *argv]
    if argv[:1] != ["postgres"]:
        os.execvp(argv[0], argv)
    if os.getuid() == 0:
        sys.exit("the stand-in covers a pod with runAsUser only (the image's root path chowns and drops to postgres)")
    pgdata = os.environ["PGDATA"]
    password = file_env("POSTGRES_PASSWORD")
    user = file_env("POSTGRES_USER", "postgres")
    database = file_env("POSTGRES_DB", user)
    auth = os.environ.get("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
    for path, mode in ((pgdata, 0o700), (SOCKET_DIR, 0o3775)):
        os.makedirs(path, exist_ok=True)
        try:
            os.chmod(path, mode)
        except OSError:
            pass  # the image ignores this too: a directory it does not own keeps its mode
    if not os.path.exists(os.path.join(pgdata, "PG_VERSION")):
        if not password and auth != "trust":
            sys.exit("Error: Database is uninitialized and superuser password is not specified.")
        initdb(user, password)
        with open(os.path.join(pgdata, "pg_hba.conf"), "a", encoding="utf-8") as hba:
            hba.write(f"\nhost all all all {auth}\n")
        with open(os.path.join(pgdata, "postgresql.conf"), "a", encoding="utf-8") as conf:
            conf.write("\nlisten_addresses = '*'\n")
        create_database(pgdata, user, password, database)
    os.execvp("postgres", argv)


if __name__ == "__main__":
    main(sys.argv[1:])
