"""Reads Pulumi.yaml and a Pulumi.<stack>.yaml into the flat config map the Pulumi SDK expects.

The real CLI merges project-level defaults into stack config and hands the program a map of
"namespace:key" -> string (objects and arrays JSON-encoded) plus the list of secret keys. The
offline engine must give the program exactly that, so the program cannot tell the two apart.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Offline there is no passphrase or KMS to decrypt `secure:` values; the program only needs a
# value of the right kind and to know it is secret.
OFFLINE_SECRET_PLACEHOLDER = "offline-secret-placeholder"


class StackFileError(Exception):
    """The project or stack file is missing or not valid YAML of the expected shape."""


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: tuple[str, ...]


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise StackFileError(f"{path}: file not found")
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise StackFileError(f"{path}: not valid YAML: {err}") from err


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def stack_file_for(stack: str, project_root: Path = PROJECT_ROOT) -> Path:
    return project_root / f"Pulumi.{stack}.yaml"


def load_stack_settings(stack_file: Path, project_root: Path = PROJECT_ROOT) -> StackSettings:
    project_doc = _read_yaml(project_root / "Pulumi.yaml")
    project = project_doc.get("name")
    if not isinstance(project, str) or not project:
        raise StackFileError(f"{project_root / 'Pulumi.yaml'}: missing project name")
    stack_doc = _read_yaml(stack_file)
    if not isinstance(stack_doc, dict) or not isinstance(stack_doc.get("config", {}), dict):
        raise StackFileError(f"{stack_file}: expected a mapping with a 'config' mapping")

    config: dict[str, str] = {}
    for key, declaration in (project_doc.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            config[_qualify(project, key)] = _encode(declaration["default"])

    secret_keys: list[str] = []
    for key, value in (stack_doc.get("config") or {}).items():
        full_key = _qualify(project, key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = OFFLINE_SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            config[full_key] = _encode(value)

    name = stack_file.name
    stack = name[len("Pulumi."):-len(".yaml")] if name.startswith("Pulumi.") and name.endswith(".yaml") else stack_file.stem
    return StackSettings(project=project, stack=stack, config=config, secret_keys=tuple(secret_keys))
