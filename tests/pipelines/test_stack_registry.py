"""The pipelines push to the repository the stack creates: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>-<stack>/<service>`."""
from pathlib import Path

import pytest

from scripts.stack_registry import main

STACK = """\
config:
  aws:region: eu-central-1
  devsecops-platform:accountId: "123456789012"
  devsecops-platform:namePrefix: shop
"""


def test_prints_the_repository_uri(tmp_path: Path, capsys):
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(STACK)
    assert main([str(stack_file), "backend"]) == 0
    assert capsys.readouterr().out == "123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop-prod/backend\n"


@pytest.mark.parametrize("broken, message", [
    (STACK.replace('"123456789012"', '"1234"'), "accountId is '1234'"),
    (STACK.replace("  aws:region: eu-central-1\n", ""), "aws:region is None"),
    ("config: [1, 2]\n", "expected a 'config' mapping"),
])
def test_refuses_a_stack_without_a_registry(tmp_path: Path, capsys, broken: str, message: str):
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(broken)
    assert main([str(stack_file), "backend"]) == 1
    assert message in capsys.readouterr().err


def test_refuses_a_file_not_named_like_a_stack(tmp_path: Path, capsys):
    stack_file = tmp_path / "prod.yaml"
    stack_file.write_text(STACK)
    assert main([str(stack_file), "backend"]) == 1
    assert "Pulumi.<stack>.yaml" in capsys.readouterr().err
