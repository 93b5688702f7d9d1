"""Reads Pulumi.yaml and a Pulumi.<stack>.yaml into the flat config map the Pulumi SDK expects.

The real CLI merges project-level defaults into stack config and hands the program a map of
"namespace:key" -> string (objects and arrays JSON-encoded) plus the list of secret keys. The
offline engine must give the program exactly that, so the program cannot tell the two apart.

Both files are untrusted input (a pull request changes them). They are read through safe_load
(bounded size, aliases, depth; strict YAML, one document) and every shape the CLI would refuse,
or that an offline run could not see as a real run does, is an error naming file, line and key:
a value of a type the setting does not declare, a value YAML reads as something other than text
or a number (a date, binary), a key that is not a string, an empty value, a secure value of the
wrong shape, settings imported from an ESC environment (their values live outside the repository).
Whether a key is a known setting is the program's own check (components/config_rules.py), so a
real `pulumi up` refuses the same keys.
"""
from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, NoReturn

import yaml

from preflight.safe_load import MIB, Limits, load_yaml, read_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Offline there is no passphrase or KMS to decrypt `secure:` values; the program only needs a
# value of the right kind and to know it is secret.
OFFLINE_SECRET_PLACEHOLDER = "offline-secret-placeholder"

# A real stack file is a few kilobytes; these stay far above that and far below what would hurt.
STACK_FILE_LIMITS = Limits(max_file_bytes=1 * MIB, max_documents=1, max_aliases=1_000, max_depth=50, max_nodes=100_000,
                           raisable=False)

# Top-level keys of a stack file. `environment` and `mainEnvironment` import settings from Pulumi
# ESC: an offline run cannot read them, so a file that uses them is an error, never a partial check.
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt")
ESC_KEYS = ("environment", "mainEnvironment")
# Top-level keys of Pulumi.yaml that this reader honours or that change neither the settings nor the
# program a stack runs (main, stackConfigDir, plugins and packages would: the offline run could not follow).
PROJECT_FILE_KEYS = ("name", "description", "runtime", "config", "author", "website", "license",
                     "options", "backend", "template", "requiredPulumiVersion")
DECLARED_TYPES = ("string", "integer", "boolean", "array")
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)
_CONFIG_KEY = re.compile(r"[^:\s]+:[^:\s]+", re.ASCII)
_INTEGER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)", re.ASCII)
SHOWN_PROBLEMS = 50
_INT64 = 2 ** 63


class StackFileError(Exception):
    """The project or stack file is missing or not of a shape the settings can be read from."""


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: tuple[str, ...]


@dataclass(frozen=True)
class _Problem:
    where: tuple[Any, ...]  # the path of keys (and list indexes) from the top of the file
    message: str


def stack_file_for(stack: str, project_root: Path = PROJECT_ROOT) -> Path:
    if not isinstance(stack, str) or not STACK_NAME.fullmatch(stack) or stack.startswith("."):
        raise StackFileError(f"{stack!r} is not a stack name (letters, digits, _, . and -)")
    return project_root / f"Pulumi.{stack}.yaml"


def stack_name_of(stack_file: Path) -> str:
    """The stack a settings file is for: <stack> of Pulumi.<stack>.yaml (or .yml), else the file's
    name without its extension; a production name binds the file to prod whatever it holds."""
    stem = stack_file.stem if stack_file.suffix in (".yaml", ".yml") else stack_file.name
    stack = stem[len("Pulumi."):] if stem.startswith("Pulumi.") else stem
    if not STACK_NAME.fullmatch(stack) or stack.startswith("."):
        raise StackFileError(f"{stack_file}: {stack!r} is not a stack name; name the file Pulumi.<stack>.yaml")
    return stack


def load_stack_settings(stack_file: Path, project_root: Path = PROJECT_ROOT) -> StackSettings:
    project_file = project_root / "Pulumi.yaml"
    project, declarations = _read_project(project_file)
    stack = stack_name_of(stack_file)
    config, secret_keys = _read_stack(stack_file, project, declarations)
    defaults = {key: _encode(d["default"]) for key, d in declarations.items() if "default" in d}
    return StackSettings(project=project, stack=stack, config={**defaults, **config}, secret_keys=secret_keys)


def _load(path: Path) -> Any:
    if not path.is_file():
        raise StackFileError(f"{path}: file not found")
    return load_yaml(path, STACK_FILE_LIMITS, path.as_posix())


def _read_project(path: Path) -> tuple[str, dict[str, dict]]:
    """The project name and its setting declarations by full key."""
    doc = _load(path)
    if not isinstance(doc, dict):
        _fail(path, [_Problem((), f"expected a mapping, got {_kind(doc)}")])
    name = doc.get("name")
    if not isinstance(name, str) or not STACK_NAME.fullmatch(name):
        _fail(path, [_Problem(("name",), "the project needs a name of letters, digits, _, . and -")])
    problems = [_Problem((key,), _not_honoured(key, PROJECT_FILE_KEYS, "a key of Pulumi.yaml"))
                for key in doc if key not in PROJECT_FILE_KEYS]
    declared = {} if doc.get("config") is None else doc["config"]
    if not isinstance(declared, dict):
        problems.append(_Problem(("config",), f"expected a mapping of setting declarations, got {_kind(declared)}"))
        declared = {}
    declarations = {}
    for key, declaration in declared.items():
        where = ("config", key)
        if not isinstance(key, str) or not _is_project_key(name, key):
            problems.append(_Problem(where, f"{_shown(key)}: only settings of the project ({name}) are declared "
                                     "here; set other namespaces in the stack file"))
            continue
        problems += _declaration_problems(where, key, declaration)
        declarations[_qualify(name, key)] = declaration
    if problems:
        _fail(path, problems)
    return name, declarations


def _declaration_problems(where: tuple, key: str, declaration: Any) -> list[_Problem]:
    if not isinstance(declaration, dict):
        return [_Problem(where, f"{key}: declare it as a mapping with type, description and default")]
    kind = declaration.get("type")
    if kind is not None and kind not in DECLARED_TYPES:
        return [_Problem(where, f"{key}: type {_shown(kind)} is not one of {', '.join(DECLARED_TYPES)}")]
    if kind == "array" and not (isinstance(declaration.get("items"), dict)
                                and declaration["items"].get("type") in DECLARED_TYPES):
        return [_Problem(where, f"{key}: an array declares the type of its items")]
    problems = [_Problem(where + p.where, f"{key}: {p.message}") for p in _value_problems((), declaration)]
    if not problems and "default" in declaration and not _fits(declaration, declaration["default"]):
        problems.append(_Problem(where, f"{key}: the default is {_kind(declaration['default'])}, not {_type_name(declaration)}"))
    return problems


def _read_stack(path: Path, project: str, declarations: dict[str, dict]) -> tuple[dict[str, str], tuple[str, ...]]:
    doc = _load(path)
    if doc is None:  # an empty stack file: every setting keeps its default
        return {}, ()
    if not isinstance(doc, dict):
        _fail(path, [_Problem((), f"expected a mapping with a 'config' mapping, got {_kind(doc)}")])
    problems = list(_top_level_problems(doc))
    settings = {} if doc.get("config") is None else doc["config"]
    if not isinstance(settings, dict):
        problems.append(_Problem(("config",), f"expected a mapping of settings, got {_kind(settings)}"))
        settings = {}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in settings.items():
        where = ("config", key)
        if not isinstance(key, str) or not _CONFIG_KEY.fullmatch(key):
            problems.append(_Problem(where, f"{_shown(key)}: a setting is written namespace:name, "
                                     f"e.g. {project}:azCount or aws:region"))
            continue
        found = _setting_problems(where, key, value, declarations.get(key))
        problems += found
        if found:
            continue
        if _is_secure(value):
            config[key] = OFFLINE_SECRET_PLACEHOLDER
            secret_keys.append(key)
        else:
            config[key] = _encode(value)
    if problems:
        _fail(path, problems)
    return config, tuple(secret_keys)


def _top_level_problems(doc: dict) -> Iterator[_Problem]:
    for key, value in doc.items():
        if key in ESC_KEYS:
            yield _Problem((key,), f"{key}: settings from a Pulumi ESC environment cannot be read or checked "
                           "offline; write every setting in this file (the environment class is the setting "
                           f"<project>:environment under config)")
        elif key not in STACK_FILE_KEYS:
            yield _Problem((key,), _not_honoured(key, STACK_FILE_KEYS, "a top-level key of a stack file"))
        elif key != "config" and not isinstance(value, str):
            yield _Problem((key,), f"{key}: expected a string, got {_kind(value)}")


def _setting_problems(where: tuple, key: str, value: Any, declaration: dict | None) -> list[_Problem]:
    if value is None:
        return [_Problem(where, f"{key}: has no value; remove the line to keep the default, or quote an empty string")]
    if isinstance(value, dict) and "secure" in value:
        if set(value) != {"secure"} or not isinstance(value["secure"], str) or not value["secure"]:
            return [_Problem(where, f"{key}: a secure value is exactly {{secure: <ciphertext>}} "
                             "(written by pulumi config set --secret)")]
        return []
    problems = [_Problem(where + p.where, f"{_path(key, p.where)}: {p.message}") for p in _value_problems((), value)]
    if not problems and declaration is not None and not _fits(declaration, value):
        problems.append(_Problem(where, f"{key}: got {_kind(value)}; Pulumi.yaml declares {_type_name(declaration)}"))
    return problems


def _value_problems(where: tuple, value: Any) -> Iterator[_Problem]:
    """Values the CLI would hand the program differently, or not at all: anything but text,
    numbers, true/false, lists and mappings with text keys, and secure values inside an object."""
    if isinstance(value, dict):
        if "secure" in value:
            yield _Problem(where, "a secure value inside an object cannot be read offline; keep secrets in their own setting")
            return
        for key, item in value.items():
            if not isinstance(key, str):
                yield _Problem(where + (key,), f"a key that is {_kind(key)}, not text (YAML reads yes/no/on/off "
                               "as true/false and unquoted numbers as numbers; quote it)")
            else:
                yield from _value_problems(where + (key,), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _value_problems(where + (index,), item)
    elif isinstance(value, bool) or isinstance(value, str) or value is None:
        return
    elif isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            yield _Problem(where, "a number too large for a setting")
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield _Problem(where, "not a finite number")
    else:
        yield _Problem(where, f"{_kind(value)}, which is not text or a number (quote it)")


def _fits(declaration: dict, value: Any) -> bool:
    """Whether a value fits a declaration, as the Pulumi CLI validates stack values: integers may be
    written as whole floats or as digits, booleans as "true"/"false"; an untyped setting is an object."""
    kind = declaration.get("type")
    if kind is None:
        return isinstance(value, dict)
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return (isinstance(value, int) or (isinstance(value, float) and value.is_integer())
                or (isinstance(value, str) and _INTEGER_TEXT.fullmatch(value) is not None and len(value) <= 18))
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return isinstance(value, list) and all(_fits(declaration["items"], item) for item in value)


def _type_name(declaration: dict) -> str:
    kind = declaration.get("type")
    if kind is None:
        return "a mapping"
    if kind == "array":
        return f"a list of {_type_name(declaration['items'])} values"
    return {"string": "a string (quote it)", "integer": "a whole number", "boolean": "true or false"}[kind]


def _kind(value: Any) -> str:
    """What a YAML value is, in the words of the error a reader should act on."""
    if value is None:
        return "no value"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    kinds = ((str, "text"), (int, "a whole number"), (float, "a number"), (list, "a list"), (dict, "a mapping"),
             (bytes, "binary data"), (set, "a set"))
    for python_type, words in kinds:
        if isinstance(value, python_type):
            return words
    if hasattr(value, "isoformat"):
        return "a date or time (YAML reads an unquoted date as one)"
    return type(value).__name__


def _not_honoured(key: Any, known: tuple[str, ...], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75) if isinstance(key, str) and len(key) <= 100 else []
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{_shown(key)}: not {what} this reader honours{hint} (known: {', '.join(known)})"


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _is_project_key(project: str, key: str) -> bool:
    return ":" not in key or key.startswith(f"{project}:")


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _path(key: str, where: tuple) -> str:
    return key + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in where)


def _shown(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 120 else text[:120] + "..."


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, allow_nan=False)


def _fail(path: Path, problems: list[_Problem]) -> NoReturn:
    """Raises StackFileError with each problem at its file and line (the first SHOWN_PROBLEMS)."""
    lines = _lines_of(path, [p.where for p in problems[:SHOWN_PROBLEMS]])
    shown = [f"{path}:{line}: {p.message}" if line else f"{path}: {p.message}"
             for p, line in zip(problems, lines)]
    if len(problems) > SHOWN_PROBLEMS:
        shown.append(f"{path}: ... and {len(problems) - SHOWN_PROBLEMS} more")
    header = "" if len(shown) == 1 else f"{path}: {len(problems)} problems in the settings file:\n"
    raise StackFileError(header + "\n".join(_printable(line) for line in shown))


def _lines_of(path: Path, paths: list[tuple]) -> list[int | None]:
    """The line of each key path, from the file's node tree (the file was already read within its
    limits, so composing it again is bounded; aliases are shared nodes, not copies)."""
    try:
        root = yaml.compose(read_text(path, STACK_FILE_LIMITS), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, ValueError):
        return [None] * len(paths)
    return [_line_at(root, where) for where in paths]


def _line_at(node: Any, where: tuple) -> int | None:
    line = node.start_mark.line + 1 if node is not None else None
    for part in where:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    line, child = key_node.start_mark.line + 1, value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            return line
        node = child
    return line


def _printable(text: str) -> str:
    """Control characters from a file (terminal escapes, a newline in a key) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
