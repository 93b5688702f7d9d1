"""`python -m preflight.smoke --stack dev`: the smoke run, isolated.

The run (run.py) goes into new network and PID namespaces: its pods, PostgreSQL and moto listen
only on its own loopback (no port of this machine is taken, nothing outside is reached, no real
AWS endpoint either), and when it ends, however it ends, the kernel ends every process it
started. The whole run is bounded too.
"""
from __future__ import annotations

import subprocess
import sys

from preflight.stack_files import PROJECT_ROOT

RUN_LIMIT_S = 300


def main(argv: list[str]) -> int:
    command = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
               sys.executable, "-m", "preflight.smoke.run", *argv]
    try:
        return subprocess.run(command, cwd=PROJECT_ROOT, timeout=RUN_LIMIT_S).returncode
    except subprocess.TimeoutExpired:
        print(f"smoke: FAIL, the run took longer than {RUN_LIMIT_S} s and was stopped", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
