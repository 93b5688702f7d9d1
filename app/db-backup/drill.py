"""The restore drill: prove the newest good backup restores and is consistent, then throw it away.

    python3 drill.py

1. Create a scratch database with a unique name (restore_drill_<UTC time>_<random>).
2. Restore the newest good backup of PGDATABASE into it exactly as restore.py does: sha256
   checked before pg_restore, pg_restore in one transaction, stopping at the first error.
3. Check it: pg_amcheck --heapallindexed (every heap page and B-tree index, and every heap tuple
   found in its indexes) when the server is PostgreSQL 14 or newer and pg_amcheck is installed,
   else amcheck's bt_index_check(heapallindexed) on every B-tree index.
4. Check that every table of PGDATABASE is in the restored database and that every restored
   table's rows can be counted.
5. Drop the scratch database, whatever happened before (also on SIGTERM from the Job's deadline).

Prints one JSON line (backup, checker, row count per table) and exits 0, or logs one line
`drill failed: ...` and exits non-zero. The scratch database lives on the same server as
PGDATABASE, so the server needs room for one more copy of the data while the drill runs.
Creating databases and the amcheck extension needs a superuser PGUSER (the image's POSTGRES_USER).

Environment: as restore.py, without RESTORE_DATABASE.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

from backup_catalog import ConfigError, Location, libpq_env, log, s3_client
from restore import chosen_backup, download_verified, restore

SCRATCH_PREFIX = "restore_drill_"
# pg_amcheck ships with PostgreSQL 14 and needs a server of at least that version.
PG_AMCHECK_MIN_SERVER = 140000
# Every user table (ordinary and partitioned, not temporary) outside the system schemas.
USER_TABLES = """
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
"""
TABLES_SQL = f"SELECT format('%I.%I', n.nspname, c.relname) {USER_TABLES} ORDER BY 1"
# Each of those tables with its count(*), in one statement; a table that cannot be read fails it.
ROW_COUNTS_SQL = f"""
SELECT format('%I.%I', n.nspname, c.relname) || '|' || (xpath('/row/n/text()', query_to_xml(
    format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
{USER_TABLES} ORDER BY 1
"""
# The fallback checker: every valid, permanent B-tree index, and that each heap tuple is in it.
BT_INDEX_CHECK_SQL = """
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT count(bt_index_check(c.oid, true)) FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
WHERE am.amname = 'btree' AND c.relpersistence = 'p' AND i.indisvalid AND i.indisready
"""


class DrillFailed(RuntimeError):
    pass


class Terminated(BaseException):
    """SIGTERM arrived; a BaseException so no `except Exception` swallows it before the drop."""


def _on_sigterm(signum, frame):
    raise Terminated("terminated by SIGTERM")


def psql(env: dict[str, str], database: str, *commands: str) -> list[str]:
    """Run each command in its own transaction (CREATE/DROP DATABASE need that); the output's lines."""
    argv = ["psql", "-X", "-At", "--no-password", "-v", "ON_ERROR_STOP=1", "-d", database]
    for command in commands:
        argv += ["-c", command]
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
        raise DrillFailed(f"psql on {database}: {reason[0]}")
    return result.stdout.splitlines()


def scratch_name() -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"{SCRATCH_PREFIX}{stamp}_{secrets.token_hex(4)}"


def drop(env: dict[str, str], admin_database: str, scratch: str) -> None:
    """Drop the scratch database, ending sessions still in it first (a pg_restore left by SIGTERM)."""
    psql(
        env, admin_database,
        f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{scratch}' AND pid <> pg_backend_pid()",
        f'DROP DATABASE IF EXISTS "{scratch}"',
    )


def check_consistency(env: dict[str, str], scratch: str) -> str:
    """Run amcheck over the restored database; the name of the checker used."""
    server_version = int(psql(env, scratch, "SHOW server_version_num")[0])
    if server_version >= PG_AMCHECK_MIN_SERVER and shutil.which("pg_amcheck"):
        # Its report goes to the job's log; exit 2 means corruption was found, 1 an error.
        result = subprocess.run(
            ["pg_amcheck", "--no-password", "--heapallindexed", "--install-missing", "--database", scratch],
            env=env, stdout=sys.stderr,
        )
        if result.returncode != 0:
            raise DrillFailed(f"pg_amcheck exited with {result.returncode} on the restored database (see its report above)")
        return "pg_amcheck"
    psql(env, scratch, BT_INDEX_CHECK_SQL)
    return "amcheck"


def check_tables(env: dict[str, str], source: str, scratch: str) -> dict[str, int]:
    """Every source table came back, and every restored table can be read; rows per table."""
    source_tables = set(psql(env, source, TABLES_SQL))
    counts = {table: int(rows) for table, rows in (line.rsplit("|", 1) for line in psql(env, scratch, ROW_COUNTS_SQL))}
    missing = sorted(source_tables - set(counts))
    if missing:
        raise DrillFailed(f"the restored database lacks {len(missing)} table(s) of {source}: {', '.join(missing)}")
    return counts


def drill(location: Location, env: dict[str, str]) -> dict:
    s3 = s3_client()
    backup = chosen_backup(s3, location)
    scratch = scratch_name()
    log(f"drill: restoring {backup.key} ({backup.size} bytes) into scratch database {scratch}")
    psql(env, location.database, f'CREATE DATABASE "{scratch}"')
    try:
        with tempfile.TemporaryDirectory(prefix="drill-") as workdir:
            dump_path = os.path.join(workdir, "backup.dump")
            download_verified(s3, location, backup, dump_path)
            restore(dump_path, scratch, env)
        checker = check_consistency(env, scratch)
        counts = check_tables(env, location.database, scratch)
    except BaseException:
        # The drill's own failure is the one to report; a failed drop after it is only logged.
        try:
            drop(env, location.database, scratch)
        except DrillFailed as error:
            log(f"drill: the scratch database {scratch} is left behind: {error}")
        raise
    drop(env, location.database, scratch)
    log(f"drill: OK {backup.key}: {checker} found no corruption, {len(counts)} tables readable; {scratch} dropped")
    return {"key": backup.key, "takenAt": backup.taken_at.isoformat(), "check": checker, "rowCounts": counts}


def main() -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = drill(Location.from_env(), libpq_env())
    except ConfigError as error:
        log(f"drill failed: configuration: {error}")
        return 2
    except (Exception, Terminated) as error:  # noqa: BLE001 - every failure fails the Job, with its reason
        log(f"drill failed: {type(error).__name__}: {error}")
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
