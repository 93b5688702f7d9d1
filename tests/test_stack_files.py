"""Reading Pulumi.yaml and a stack file: every input the CLI would refuse, or an offline run could
not see as a real run does, is a clear error with file and line; never a traceback, never unbounded."""
from __future__ import annotations

import codecs
import shutil
import tracemalloc
from pathlib import Path

import pytest
import yaml

from preflight.__main__ import main
from preflight.safe_load import LoadError
from preflight.stack_files import (
    OFFLINE_SECRET_PLACEHOLDER, PROJECT_ROOT, StackFileError, load_stack_settings, stack_file_for, stack_name_of,
)

DEV_TEXT = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
PROJECT_TEXT = (PROJECT_ROOT / "Pulumi.yaml").read_text()
ALIAS_BOMB = "config:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {name}: &{name} [{', '.join(['*' + previous] * 10)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi")
)


def write(tmp_path: Path, text: str | bytes, name: str = "Pulumi.dev.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def with_setting(line: str) -> str:
    """The dev stack file with one config line, written as given, replacing that key's own."""
    doc = yaml.safe_load(DEV_TEXT)
    doc["config"].pop(line.split(": ")[0].rstrip(":"), None)
    return yaml.safe_dump(doc, sort_keys=False) + f"  {line}\n"


def error_of(path: Path, project_root: Path = PROJECT_ROOT) -> str:
    with pytest.raises((StackFileError, LoadError)) as caught:
        load_stack_settings(path, project_root)
    return str(caught.value)


def test_shipped_stack_files_load():
    for stack in ("dev", "prod"):
        settings = load_stack_settings(stack_file_for(stack))
        assert settings.stack == stack and settings.config["aws:region"] == "eu-west-1"


def test_an_alias_bomb_is_refused_quickly_and_in_little_memory(tmp_path):
    path = write(tmp_path, ALIAS_BOMB)
    tracemalloc.start()
    try:
        message = error_of(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "alias" in message and path.as_posix() in message
    assert peak < 32 * 1024 * 1024


def test_an_alias_bomb_in_the_project_file_is_refused(tmp_path):
    shutil.copy(PROJECT_ROOT / "Pulumi.dev.yaml", tmp_path / "Pulumi.dev.yaml")
    write(tmp_path, PROJECT_TEXT + "\nx: " + ALIAS_BOMB.replace("\n", "\n  ").replace("config:", "bomb:"), "Pulumi.yaml")
    assert "alias" in error_of(tmp_path / "Pulumi.dev.yaml", tmp_path)


@pytest.mark.parametrize("text,words", [
    ("config:\n  x: " + "[" * 3000 + "]" * 3000 + "\n", "nest"),
    ("config:\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(1, 60)) + "  " * 60 + "k60: v\n", "nested deeper"),
    (DEV_TEXT + "  aws:region: eu-west-2\n", "duplicate key 'aws:region'"),
    (DEV_TEXT + "---\nconfig: {}\n", "more than one YAML document"),
    ("config: {a: [1, 2\n", "not valid YAML"),
    ("config:\n  aws:region: !!python/object:os.system x\n", "not valid YAML"),
], ids=["deep-flow", "deep-block", "duplicate-key", "two-documents", "broken", "python-tag"])
def test_unreadable_yaml_is_a_load_error(tmp_path, text, words):
    assert words in error_of(write(tmp_path, text))


def test_bytes_that_are_not_text_are_refused_with_their_line(tmp_path):
    message = error_of(write(tmp_path, DEV_TEXT.encode() + b"# caf\xe9\n"))
    assert f"{(tmp_path / 'Pulumi.dev.yaml').as_posix()}:{DEV_TEXT.count(chr(10)) + 1}: not UTF-8" in message
    assert "not UTF-8" in error_of(write(tmp_path, bytes(range(256)) * 8))


@pytest.mark.parametrize("bom,encoding", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8")])
def test_a_file_with_a_byte_order_mark_reads_as_kubectl_reads_it(tmp_path, bom, encoding):
    path = write(tmp_path, bom + DEV_TEXT.encode(encoding))
    assert load_stack_settings(path) == load_stack_settings(stack_file_for("dev"))


def test_utf16_without_a_byte_order_mark_is_refused(tmp_path):
    assert "not valid YAML" in error_of(write(tmp_path, DEV_TEXT.encode("utf-16-le")))


@pytest.mark.parametrize("text,words", [
    ("- config\n- aws:region\n", "expected a mapping with a 'config' mapping, got a list"),
    ("just text\n", "expected a mapping with a 'config' mapping, got text"),
    ("config: [aws:region]\n", "expected a mapping of settings, got a list"),
    ("config: eu-west-1\n", "expected a mapping of settings, got text"),
    ("config: false\n", "expected a mapping of settings, got false"),
    ("config: 0\n", "expected a mapping of settings, got a whole number"),
    ("confg:\n  aws:region: eu-west-1\n", "did you mean config?"),
    ("secretsprovider: [passphrase]\nconfig: {}\n", "secretsprovider: expected a string"),
])
def test_a_stack_file_of_the_wrong_shape_is_refused(tmp_path, text, words):
    message = error_of(write(tmp_path, text))
    assert words in message and message.startswith(f"{(tmp_path / 'Pulumi.dev.yaml').as_posix()}:1: ")


@pytest.mark.parametrize("key", ["environment", "mainEnvironment"])
def test_settings_imported_from_an_esc_environment_are_refused(tmp_path, key):
    message = error_of(write(tmp_path, f"{key}: [platform/shared]\n" + DEV_TEXT))
    assert f":1: {key}: settings from a Pulumi ESC environment cannot be read" in message


def test_an_empty_stack_file_keeps_every_default(tmp_path):
    settings = load_stack_settings(write(tmp_path, ""))
    assert settings.config["devsecops-platform:environment"] == "prod" and "aws:region" not in settings.config


# (line added to the dev stack's config, words of the error)
BAD_SETTINGS = [
    ("ciBranch: main", "a setting is written namespace:name"),
    ("42: main", "a setting is written namespace:name"),
    ("':ciBranch': main", "a setting is written namespace:name"),
    ("devsecops-platform:ciBranch:", "has no value; remove the line"),
    ("devsecops-platform:ciBranch: 2024-01-01", "devsecops-platform:ciBranch: a date or time"),
    ("devsecops-platform:ciBranch: !!binary aGVsbG8=", "binary data"),
    ("devsecops-platform:ciBranch: 5", "got a whole number; Pulumi.yaml declares a string (quote it)"),
    ("devsecops-platform:ciBranch: [main]", "got a list; Pulumi.yaml declares a string"),
    ("devsecops-platform:ciBranch: {name: main}", "got a mapping; Pulumi.yaml declares a string"),
    ("devsecops-platform:azCount: three", "devsecops-platform:azCount: got text; Pulumi.yaml declares a whole number"),
    ("devsecops-platform:azCount: 2.5", "Pulumi.yaml declares a whole number"),
    ("devsecops-platform:azCount: true", "Pulumi.yaml declares a whole number"),
    ("devsecops-platform:azCount: .nan", "not a finite number"),
    ("devsecops-platform:azCount: 0x" + "f" * 40, "a number too large"),
    ("devsecops-platform:endpointPublicAccess: yes please", "Pulumi.yaml declares true or false"),
    ("devsecops-platform:endpointPublicAccess: 1", "Pulumi.yaml declares true or false"),
    ("devsecops-platform:ecrImages: frontend", "Pulumi.yaml declares a list of a string (quote it) values"),
    ("devsecops-platform:ecrImages: [frontend, 5]", "got a list; Pulumi.yaml declares a list"),
    ("devsecops-platform:services: [frontend]", "got a list; Pulumi.yaml declares a mapping"),
    ("devsecops-platform:services: !!set {frontend}", "a set, which is not text"),
    ("devsecops-platform:argocdSsoClientSecret: {secure: 5}", "a secure value is exactly {secure: <ciphertext>}"),
    ("devsecops-platform:argocdSsoClientSecret: {secure: v1:AAAA, plain: hunter2}", "a secure value is exactly"),
    ("devsecops-platform:argocdSsoClientSecret: {secure: ''}", "a secure value is exactly"),
]


@pytest.mark.parametrize("line,words", BAD_SETTINGS, ids=[b[0][:40] for b in BAD_SETTINGS])
def test_a_value_the_cli_would_hand_over_differently_is_refused_at_its_line(tmp_path, line, words):
    text = with_setting(line)
    message = error_of(write(tmp_path, text))
    assert words in message, message
    assert f"Pulumi.dev.yaml:{text.count(chr(10))}: " in message


@pytest.mark.parametrize("value,words", [
    ("{env: {on: x}}", "a key that is true (a boolean), not text"),
    ("{env: {1: x}}", "a key that is a whole number, not text"),
    ("{env: {DB_HOST: 2024-01-01}}", "devsecops-platform:services.backend.env.DB_HOST: a date or time"),
    ("{calls: [.inf]}", "devsecops-platform:services.backend.calls[0]: not a finite number"),
    ("{env: {DB_PASSWORD: {secure: v1:AAAA}}}", "a secure value inside an object cannot be read offline"),
])
def test_odd_values_deep_inside_an_object_setting_are_named_by_their_path(tmp_path, value, words):
    doc = yaml.safe_load(DEV_TEXT)
    doc["config"]["devsecops-platform:services"]["backend"] = "PLACEHOLDER"
    text = yaml.safe_dump(doc, sort_keys=False).replace("backend: PLACEHOLDER", f"backend: {value}")
    message = error_of(write(tmp_path, text))
    assert words in message, message
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if "backend:" in text_line)
    assert f"Pulumi.dev.yaml:{line}: " in message


@pytest.mark.parametrize("line,value", [
    ("devsecops-platform:azCount: '2'", "2"),
    ("devsecops-platform:azCount: 2.0", "2.0"),
    ("devsecops-platform:endpointPublicAccess: 'false'", "false"),
])
def test_values_the_cli_accepts_for_a_type_are_accepted(tmp_path, line, value):
    key = line.split(": ")[0]
    assert load_stack_settings(write(tmp_path, with_setting(line))).config[key] == value


def test_a_secure_value_is_handed_over_as_a_secret_placeholder(tmp_path):
    settings = load_stack_settings(write(tmp_path, with_setting("devsecops-platform:argocdSsoClientSecret: {secure: v1:AAAA}")))
    assert settings.secret_keys == ("devsecops-platform:argocdSsoClientSecret",)
    assert settings.config["devsecops-platform:argocdSsoClientSecret"] == OFFLINE_SECRET_PLACEHOLDER


def test_every_problem_of_a_file_is_listed_at_once(tmp_path):
    text = with_setting("devsecops-platform:azCount: three").replace("ciBranch: main", "ciBranch: 7")
    message = error_of(write(tmp_path, text))
    assert message.startswith(f"{(tmp_path / 'Pulumi.dev.yaml').as_posix()}: 2 problems")
    assert "azCount" in message and "ciBranch" in message


def test_control_characters_in_a_key_are_shown_escaped(tmp_path):
    message = error_of(write(tmp_path, with_setting('"bad\\e[31mkey": x')))
    assert "\x1b" not in message and "\\x1b[31m" in message


# (change to Pulumi.yaml, words of the error)
BAD_PROJECTS = [
    (lambda p: {**p, "name": 5}, "the project needs a name"),
    (lambda p: {k: v for k, v in p.items() if k != "name"}, "the project needs a name"),
    (lambda p: {**p, "config": "settings/"}, "expected a mapping of setting declarations"),
    (lambda p: {**p, "stackConfigDir": "stacks"}, "'stackConfigDir': not a key of Pulumi.yaml this reader honours"),
    (lambda p: {**p, "main": "other.py"}, "'main': not a key of Pulumi.yaml"),
    (lambda p: {**p, "config": {**p["config"], "aws:region": {"value": "us-east-1"}}}, "set other namespaces in the stack file"),
    (lambda p: {**p, "config": {**p["config"], "azCount": {"type": "integer", "default": "three"}}}, "the default is text, not a whole number"),
    (lambda p: {**p, "config": {**p["config"], "azCount": {"type": "number", "default": 3}}}, "type 'number' is not one of"),
    (lambda p: {**p, "config": {**p["config"], "ecrImages": {"type": "array", "default": []}}}, "an array declares the type of its items"),
    (lambda p: {**p, "config": {**p["config"], "azCount": 3}}, "declare it as a mapping"),
]


@pytest.mark.parametrize("change,words", BAD_PROJECTS, ids=[b[1][:40] for b in BAD_PROJECTS])
def test_a_project_file_the_offline_run_cannot_follow_is_refused(tmp_path, change, words):
    project = change(yaml.safe_load(PROJECT_TEXT))
    write(tmp_path, yaml.safe_dump(project, sort_keys=False), "Pulumi.yaml")
    stack_file = write(tmp_path, DEV_TEXT)
    assert words in error_of(stack_file, tmp_path)


@pytest.mark.parametrize("stack", ["../Pulumi", "a/b", ".hidden", "", "x" * 101, "dev\n"])
def test_a_stack_name_never_reaches_outside_the_project(stack):
    with pytest.raises(StackFileError):
        stack_file_for(stack)


@pytest.mark.parametrize("name,stack", [("Pulumi.prod.yaml", "prod"), ("Pulumi.prod.yml", "prod"), ("prod.yaml", "prod"),
                                        ("Pulumi.eu.prod.yaml", "eu.prod"), ("settings", "settings")])
def test_the_stack_of_a_file_comes_from_its_name(name, stack):
    assert stack_name_of(Path("/any/where") / name) == stack


@pytest.mark.parametrize("name", ["Pulumi..yaml", ".yaml", "Pulumi.a b.yaml"])
def test_a_file_name_that_names_no_stack_is_refused(tmp_path, name):
    assert "is not a stack name" in error_of(write(tmp_path, DEV_TEXT, name))


def preflight(*argv, capsys) -> tuple[int, str]:
    status = main([str(a) for a in argv])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("text", [ALIAS_BOMB, "- a\n", "environment: [x]\nconfig: {}\n", b"\x00\xff\xfe binary"], ids=["bomb", "list", "esc", "binary"])
def test_the_cli_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path, capsys, text):
    status, err = preflight("check", "--stack-file", write(tmp_path, text), capsys=capsys)
    assert status == 2 and err.startswith("error: ") and "Traceback" not in err and "unexpected failure" not in err


def test_the_cli_refuses_a_stack_name_that_leaves_the_project(capsys):
    status, err = preflight("check", "--stack", "../../etc/passwd", capsys=capsys)
    assert status == 2 and "is not a stack name" in err


def test_the_cli_passes_a_valid_stack_file_in_utf16(tmp_path, capsys):
    path = write(tmp_path, codecs.BOM_UTF16_LE + DEV_TEXT.encode("utf-16-le"))
    status, err = preflight("check", "--stack-file", path, capsys=capsys)
    assert status == 0, err
