"""The smoke run's output: one line per workload, probe and step, and the verdict."""
from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Report:
    started: float = field(default_factory=time.monotonic)
    passed: int = 0
    failed: int = 0

    def line(self, ok: bool, subject: str, what: str, detail: str) -> bool:
        """Prints one result as it is known (flushed, so a hung step shows what came before); returns `ok`."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'}  {subject:<20} {what:<15} {detail}", flush=True)
        return ok

    def skip(self, subject: str, what: str, detail: str) -> None:
        """A check not made because an earlier one failed (it neither passes nor fails)."""
        print(f"SKIP  {subject:<20} {what:<15} {detail}", flush=True)

    def note(self, text: str) -> None:
        """Context for a failure (a log tail), indented under its line."""
        for row in text.rstrip().splitlines():
            print(f"      | {row}", flush=True)

    def verdict(self) -> int:
        seconds = time.monotonic() - self.started
        if self.failed:
            print(f"smoke: FAIL, {self.failed} of {self.passed + self.failed} checks failed ({seconds:.1f} s)", flush=True)
            return 1
        print(f"smoke: PASS, {self.passed} checks ({seconds:.1f} s)", flush=True)
        return 0


def log_tail(path, lines: int = 40) -> str:
    """The end of a container's output, for the line that reports its failure."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(no log: {error.strerror})"
