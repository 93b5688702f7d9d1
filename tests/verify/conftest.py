"""Fixtures of the verify tests: the dev stack moved into moto's account, and what its settings
say must exist (one offline run of the program for the whole session)."""
from __future__ import annotations

from pathlib import Path

import pytest

from preflight.verify.expected import ExpectedStack
from preflight.verify_command import expected_stack
from verify_account import write_stack_file


@pytest.fixture(scope="session")
def stack_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stack_file(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def expected(stack_file: Path) -> ExpectedStack:
    return expected_stack(stack_file)
