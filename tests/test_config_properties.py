"""Property-based tests of the stack-file loader and the settings checks, on inputs no one wrote
by hand: random bytes, random YAML values, and mutations of the shipped stack files.

Properties: only StackFileError or LoadError ever escape the loader and nothing escapes the
checks (so `check` answers with a message, never a traceback); a mutation known to make a file
invalid is always refused (so `check` can exit 0 only for a fully valid file); memory stays bounded.
The loader and the checks are called directly: running the whole program per example takes seconds.
"""
from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import read_settings
from components.config_rules import PROJECT, PROVIDER_SETTINGS, RESOURCE_KINDS, RESOURCE_NAMES, SERVICE_KEYS, SETTINGS
from preflight.__main__ import main
from preflight.safe_load import LoadError
from preflight.stack_files import PROJECT_ROOT, StackFileError, load_stack_settings

SHIPPED = {stack: (PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text() for stack in ("dev", "prod")}
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("stack-files")


def write(directory: Path, content: str | bytes, stack: str = "dev") -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def verdict(path: Path) -> list[str]:
    """Why the file is refused (empty when it is fully valid); raises only what the CLI reports as
    an error (exit 2): anything else would be a traceback."""
    try:
        loaded = load_stack_settings(path)
    except (StackFileError, LoadError) as err:
        assert str(err)
        return [str(err)]
    _, problems = read_settings(loaded.config, loaded.secret_keys, loaded.stack)
    return [str(p) for p in problems]


def test_the_shipped_stack_files_are_valid(workdir):
    for stack, text in SHIPPED.items():
        assert verdict(write(workdir, text, stack)) == []


@FAST
@given(content=st.binary(max_size=2048))
def test_random_bytes_never_escape_as_a_traceback(workdir, content):
    verdict(write(workdir, content))


@FAST
@given(content=st.sampled_from(sorted(SHIPPED)).flatmap(
    lambda stack: st.tuples(st.just(stack), st.lists(st.tuples(st.integers(0, len(SHIPPED[stack])), st.integers(0, 8),
                                                               st.text(max_size=6)), min_size=1, max_size=4))))
def test_text_edits_of_the_shipped_files_never_escape_as_a_traceback(workdir, content):
    stack, edits = content
    text = SHIPPED[stack]
    for position, removed, inserted in edits:
        text = text[:position] + inserted + text[position + removed:]
    verdict(write(workdir, text, stack))


SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates()
           | st.datetimes() | st.binary(max_size=8))
YAML_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8) | st.integers() | st.booleans(), inner, max_size=4),
                           max_leaves=20)
KNOWN_KEYS = sorted({f"{PROJECT}:{name}" for name in SETTINGS} | set(PROVIDER_SETTINGS))


@FAST
@given(entries=st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=30), YAML_VALUES, max_size=6),
       base=st.sampled_from(sorted(SHIPPED)))
def test_random_values_for_any_key_never_escape_as_a_traceback(workdir, entries, base):
    doc = yaml.safe_load(SHIPPED[base])
    doc["config"].update(entries)
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        return  # a value PyYAML cannot write (a lone surrogate) is no file at all
    found = verdict(write(workdir, text, base))
    unknown = [k for k in entries if not (isinstance(k, str) and k in KNOWN_KEYS)]
    assert not unknown or found, unknown


@FAST
@given(document=YAML_VALUES)
def test_a_document_of_any_shape_never_escapes_as_a_traceback(workdir, document):
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:
        return
    verdict(write(workdir, text))


# --- mutations that make a valid file invalid: the gate must always refuse them ---------------

def mappings_with_fixed_keys(config: dict) -> list[tuple[Any, ...]]:
    """Paths (inside config) of every mapping whose keys are a fixed set: config itself, each
    service, its resources and their requests/limits (env and secretFiles name free variables)."""
    paths: list[tuple[Any, ...]] = [()]
    for name in config["devsecops-platform:services"]:
        service = ("devsecops-platform:services", name)
        paths += [service, service + ("resources",), service + ("resources", "requests"), service + ("resources", "limits")]
    return paths


def leaves(value: Any, path: tuple = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, path + (key,))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in leaves(item, path + (index,))]
    return [path]


def at(config: dict, path: tuple) -> Any:
    for part in path:
        config = config[part]
    return config


IDENTIFIERS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,15}", fullmatch=True)
SECRET_NAMES = st.sampled_from(["DB_PASS", "PGPASSWORD", "GPG_PASSPHRASE", "API_KEY", "SESSION_SECRET", "AUTH_TOKEN"])


def mutated(data, base: str) -> dict:
    """The shipped file of `base` with one change drawn that is known to make it invalid."""
    doc = yaml.safe_load(SHIPPED[base])
    config = doc["config"]
    kind = data.draw(st.sampled_from(["unknown key", "scalar in a list", "required key removed", "secret in env", "digest length"]))
    if kind == "unknown key":
        path = data.draw(st.sampled_from(mappings_with_fixed_keys(config)))
        target = at(config, path)
        fixed = set(SERVICE_KEYS) | set(RESOURCE_KINDS) | set(RESOURCE_NAMES) | set(SETTINGS)
        name = data.draw(IDENTIFIERS.filter(lambda n: n not in fixed and n not in target))
        target[f"devsecops-platform:{name}" if path == () else name] = data.draw(YAML_VALUES.filter(lambda v: v is not None))
    elif kind == "scalar in a list":
        path = data.draw(st.sampled_from(leaves(config)))
        parent = at(config, path[:-1])
        parent[path[-1]] = [parent[path[-1]]]
    elif kind == "required key removed":
        name = data.draw(st.sampled_from(sorted(config["devsecops-platform:services"])))
        field = data.draw(st.sampled_from(["image", "port", "replicas", "resources"]))
        del config["devsecops-platform:services"][name][field]
    elif kind == "secret in env":
        name = data.draw(st.sampled_from(sorted(config["devsecops-platform:services"])))
        config["devsecops-platform:services"][name].setdefault("env", {})[data.draw(SECRET_NAMES)] = data.draw(st.text(max_size=20))
    else:
        images = [p for p in leaves(config) if isinstance(at(config, p), str) and "@sha256:" in at(config, p)]
        path = data.draw(st.sampled_from(images))
        parent = at(config, path[:-1])
        if data.draw(st.booleans()):
            parent[path[-1]] += data.draw(st.sampled_from(["0", "a", "f" * 10]))
        else:
            parent[path[-1]] = parent[path[-1]][:-data.draw(st.integers(1, 10))]
    return doc


@FAST
@given(data=st.data(), base=st.sampled_from(sorted(SHIPPED)))
def test_a_mutation_that_makes_a_stack_file_invalid_is_always_refused(workdir, data, base):
    doc = mutated(data, base)
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        return
    assert verdict(write(workdir, text, base))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fan_out=st.integers(2, 30), depth=st.integers(2, 12), where=st.sampled_from(["config", "settings", "top"]))
def test_alias_bombs_of_any_shape_stay_within_bounded_memory(workdir, fan_out, depth, where):
    anchors = ["  x0: &x0 [" + ", ".join(["lol"] * fan_out) + "]"]
    anchors += [f"  x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * fan_out) + "]" for i in range(1, depth)]
    bomb = "\n".join(anchors)
    if where == "config":
        text = "config:\n" + bomb + "\n"
    elif where == "settings":  # hidden among the settings of a real file, and used by one of them
        text = SHIPPED["dev"].replace("config:\n", "config:\n" + bomb.replace("  x", "  devsecops-platform:x") + "\n", 1)
        text += f"  devsecops-platform:argocdReadonlyGroups: *x{depth - 1}\n"
    else:
        text = "bomb:\n" + bomb + "\nconfig: {}\n"
    tracemalloc.start()
    try:
        verdict(write(workdir, text))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


@pytest.mark.parametrize("change", [
    lambda c: c["devsecops-platform:services"]["frontend"].update(privileged=True),
    lambda c: c["devsecops-platform:services"]["backend"]["env"].update(DB_PASS="hunter2"),
    lambda c: c.update({"devsecops-platform:nodeMinSize": [2]}),
], ids=["privileged", "plain-secret", "scalar-in-list"])
def test_the_cli_exits_2_for_mutated_files(tmp_path, capsys, change):
    doc = yaml.safe_load(SHIPPED["dev"])
    change(doc["config"])
    path = write(tmp_path, yaml.safe_dump(doc))
    assert main(["check", "--stack-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "hunter2" not in err
