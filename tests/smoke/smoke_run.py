"""Runs `python -m preflight.smoke` as `make smoke` does, on a stack file, and reads its lines."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from preflight.stack_files import PROJECT_ROOT

# Above the run's own bound (preflight/smoke/__main__.py), so the run reports its own timeout.
TIMEOUT_S = 330


@dataclass(frozen=True)
class SmokeRun:
    code: int
    lines: list[str]
    seconds: float

    def lines_of(self, verdict: str, subject: str = "", what: str = "") -> list[str]:
        """Result lines with this verdict (PASS, FAIL, SKIP), subject and kind of check."""
        found = []
        for line in self.lines:
            fields = line.split()
            if len(fields) >= 3 and fields[0] == verdict and (not subject or fields[1] == subject) \
                    and (not what or fields[2] == what):
                found.append(line)
        return found


def smoke(stack_file: Path) -> SmokeRun:
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "preflight.smoke", "--stack-file", str(stack_file)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    return SmokeRun(result.returncode, (result.stdout + result.stderr).splitlines(), time.monotonic() - began)
