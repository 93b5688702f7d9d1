"""`python -m preflight.smoke --stack dev`: the smoke run, isolated.

The run (run.py) goes into new network and PID namespaces: its pods, PostgreSQL and moto listen
only on its own loopback (no port of this machine is taken, nothing outside is reached, no real
AWS endpoint either), and when it ends, however it ends, the kernel ends every process it
started. The whole run is bounded too.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from preflight.smoke import SCRATCH_ENV
from preflight.stack_files import PROJECT_ROOT

RUN_LIMIT_S = 300


def main(argv: list[str]) -> int:
    command = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
               sys.executable, "-m", "preflight.smoke.run", *argv]
    # The run's scratch directory: the run mounts a tmpfs on it in its own mount namespace, so its
    # files vanish with it; only this empty directory is left to remove.
    scratch = tempfile.mkdtemp(prefix="smoke-")
    try:
        return subprocess.run(command, cwd=PROJECT_ROOT, timeout=RUN_LIMIT_S,
                              env={**os.environ, SCRATCH_ENV: scratch}).returncode
    except subprocess.TimeoutExpired:
        print(f"smoke: FAIL, the run took longer than {RUN_LIMIT_S} s and was stopped", flush=True)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
