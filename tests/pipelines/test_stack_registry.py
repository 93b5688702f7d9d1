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


def test_prints_region_registry_and_repository(tmp_path: Path, capsys):
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(STACK)
    assert main([str(stack_file), "backend"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "region=eu-central-1",
        "registry=123456789012.dkr.ecr.eu-central-1.amazonaws.com",
        "repository=123456789012.dkr.ecr.eu-central-1.amazonaws.com/shop-prod/backend",
    ]


def test_without_a_service_prints_the_registry_only(tmp_path: Path, capsys):
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(STACK)
    assert main([str(stack_file)]) == 0
    assert "repository=" not in capsys.readouterr().out


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
