"""Writes variants of the shipped stack files, for tests that change one setting at a time."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from preflight.stack_files import PROJECT_ROOT

PROJECT = "devsecops-platform"


def _qualify(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def stack_variant(
    directory: Path,
    base: str = "dev",
    changes: dict[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    name: str | None = None,
) -> Path:
    """Copies Pulumi.<base>.yaml with `changes` applied (keys without a namespace are the project's).

    A change whose key contains dots below the setting ("services.frontend.image") edits that
    path inside an object setting. The file is written as Pulumi.<name or base>.yaml so the stack
    name the program sees is unchanged unless asked.
    """
    doc = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{base}.yaml").read_text())
    config = copy.deepcopy(doc["config"])
    for key in remove:
        config.pop(_qualify(key), None)
    for key, value in (changes or {}).items():
        setting, _, path = key.partition(".")
        full = _qualify(setting)
        if not path:
            config[full] = value
            continue
        target = config.setdefault(full, {})
        *parents, leaf = path.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    out = directory / f"Pulumi.{name or base}.yaml"
    out.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return out
