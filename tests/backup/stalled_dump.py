"""Stand-ins for pg_dump that stop mid-stream, to interrupt a backup at a known point.

Each writes a `pg_dump` into a directory that goes first on PATH. It runs the real pg_dump and
passes on only its first bytes; then it either exits with an error (a dump that died) or stalls
(a dump still running when the job is interrupted).
"""
from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

PASSED_BYTES = 6 * 1024 * 1024  # more than one 5 MB part, so one part is uploaded first


def install(directory: Path, real_pg_dump: str, *, then: str) -> Path:
    """Write the stand-in; `then` is "fail" (exit 1) or "stall" (sleep); its pid goes to <directory>/pid."""
    ending = {"fail": "exit 1", "stall": "exec sleep 120"}[then]
    script = directory / "pg_dump"
    script.write_text(
        f'#!/bin/sh\necho $$ > "{directory}/pid"\n"{real_pg_dump}" "$@" | head -c {PASSED_BYTES}\n{ending}\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


def stop_stalled(directory: Path) -> None:
    """Kill a stalled stand-in left behind when the backup itself was killed."""
    pid_file = directory / "pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass
