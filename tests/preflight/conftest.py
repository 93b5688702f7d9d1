"""Runs the preflight CLI in-process and hands back exit status, stdout and stderr."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from preflight.__main__ import main
from preflight.stack_files import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_SCHEMA = json.loads((PROJECT_ROOT / "preflight" / "report.schema.json").read_text())


@dataclass
class Run:
    status: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def preflight(capsys):
    def run(*argv: str) -> Run:
        status = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run
