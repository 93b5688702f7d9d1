"""Pulumi.yaml declares every setting the stacks use, in a form the Pulumi CLI accepts."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.config_rules import SETTINGS
from preflight.config_docs import END, START, render_table
from preflight.stack_files import PROJECT_ROOT

PROJECT = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
DECLARED = PROJECT["config"]
STACK_FILES = sorted(PROJECT_ROOT.glob("Pulumi.*.yaml"))
PYTHON_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


def test_project_runs_python_in_the_projects_virtualenv():
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_every_setting_has_description_default_and_a_type_its_default_satisfies(key):
    declaration = DECLARED[key]
    assert declaration.get("description", "").strip()
    assert "default" in declaration
    if "type" not in declaration:
        # Pulumi's schema has no object type; untyped settings must be objects typed by components/config.py.
        assert isinstance(declaration["default"], dict)
        return
    assert declaration["type"] in PYTHON_TYPES
    default = declaration["default"]
    assert isinstance(default, PYTHON_TYPES[declaration["type"]])
    if declaration["type"] == "array":
        assert all(isinstance(item, PYTHON_TYPES[declaration["items"]["type"]]) for item in default)


def test_secret_settings_are_not_marked_secret_in_the_project_schema():
    # A `secret: true` declaration with a default makes the CLI reject every stack that leaves it
    # unset; secret-only settings are enforced by the config loader instead.
    assert not any(d.get("secret") for d in DECLARED.values())


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_stack_files_use_only_declared_project_settings(stack_file: Path):
    # The CLI refuses a stack whose project-namespace keys the project does not declare.
    config = yaml.safe_load(stack_file.read_text())["config"]
    project_keys = [k.split(":", 1)[1] for k in config if k.startswith(f"{PROJECT['name']}:")]
    assert project_keys and set(project_keys) <= set(DECLARED)


def test_the_config_loader_reads_every_declared_setting_with_its_declared_type():
    # The loader reads exactly SETTINGS and refuses any other key, so the two lists must be one.
    assert {key: declaration.get("type", "object") for key, declaration in DECLARED.items()} == SETTINGS


def test_readme_settings_table_is_generated_from_pulumi_yaml():
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = readme[readme.index(START): readme.index(END) + len(END)]
    assert block == render_table(), "README settings table is stale: run python -m preflight.config_docs"
