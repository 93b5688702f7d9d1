"""Where a stack's own images live: `<accountId>.dkr.ecr.<region>.amazonaws.com/<namePrefix>-<stack>/<service>`.

Read from `Pulumi.<stack>.yaml`, with the project defaults of the `Pulumi.yaml` beside it, so the
pipelines push to exactly the repositories the stack creates and accepts images from.

Usage: python -m scripts.stack_registry Pulumi.dev.yaml [SERVICE]
prints `name=value` lines (region, registry and, for a service, repository) that a pipeline step
appends to $GITHUB_OUTPUT or evaluates in its shell.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT = "devsecops-platform"
STACK_FILE_NAME = re.compile(r"^Pulumi\.(?P<stack>[A-Za-z0-9_.-]+)\.yaml$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class StackFileError(Exception):
    """The stack file is missing, unreadable or lacks what the registry is derived from."""


@dataclass(frozen=True)
class StackRegistry:
    stack: str
    account_id: str
    region: str
    name_prefix: str

    @property
    def host(self) -> str:
        return f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com"

    def repository_name(self, service: str) -> str:
        return f"{self.name_prefix}-{self.stack}/{service}"

    def repository(self, service: str) -> str:
        return f"{self.host}/{self.repository_name(service)}"


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise StackFileError(f"{path}: no such stack file")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a YAML mapping")
    return document


def stack_name(stack_file: Path) -> str:
    match = STACK_FILE_NAME.match(stack_file.name)
    if not match:
        raise StackFileError(f"{stack_file}: a stack file is named Pulumi.<stack>.yaml")
    return match["stack"]


def _project_defaults(stack_file: Path) -> dict[str, Any]:
    project_file = stack_file.parent / "Pulumi.yaml"
    if not project_file.is_file():
        return {}
    declarations = read_yaml_mapping(project_file).get("config") or {}
    return {
        f"{PROJECT}:{key}": declaration["default"]
        for key, declaration in declarations.items()
        if isinstance(declaration, dict) and "default" in declaration
    }


def _setting(config: dict[str, Any], defaults: dict[str, Any], key: str, pattern: re.Pattern[str] | None,
             stack_file: Path) -> str:
    value = config.get(key, defaults.get(key))
    if not isinstance(value, str) or not value or (pattern and not pattern.match(value)):
        raise StackFileError(f"{stack_file}: {key} is {value!r}, which does not name an ECR registry")
    return value


def load_stack_registry(stack_file: Path) -> StackRegistry:
    config = read_yaml_mapping(stack_file).get("config")
    if not isinstance(config, dict):
        raise StackFileError(f"{stack_file}: expected a 'config' mapping")
    defaults = _project_defaults(stack_file)
    return StackRegistry(
        stack=stack_name(stack_file),
        account_id=_setting(config, defaults, f"{PROJECT}:accountId", ACCOUNT_ID, stack_file),
        region=_setting(config, defaults, "aws:region", REGION, stack_file),
        name_prefix=_setting(config, defaults, f"{PROJECT}:namePrefix", None, stack_file),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a stack's ECR registry (and a service's repository).")
    parser.add_argument("stack_file", type=Path, help="Pulumi.<stack>.yaml")
    parser.add_argument("service", nargs="?", help="service name, e.g. frontend")
    args = parser.parse_args(argv)
    try:
        registry = load_stack_registry(args.stack_file)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"region={registry.region}")
    print(f"registry={registry.host}")
    if args.service:
        print(f"repository={registry.repository(args.service)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
