"""Which keys a stack may set: every key is a known setting (with a "did you mean" where one is
close), secrets come only as secure values, and only secret settings may be secure."""
from __future__ import annotations

import json

import pytest
import yaml

from components.config import ConfigError, read_settings
from components.config_rules import PROVIDER_SETTINGS, SETTINGS, did_you_mean
from preflight.engine import run_with_settings
from preflight.stack_files import PROJECT_ROOT, load_stack_settings
from stack_variants import stack_variant


def problems_of(path, stack: str | None = None) -> list[str]:
    """What the program's config loader says about a stack file, without running the program."""
    settings = load_stack_settings(path)
    _, problems = read_settings(settings.config, settings.secret_keys, stack or settings.stack)
    return [str(p) for p in problems]


def test_shipped_stacks_have_no_problems():
    assert problems_of(PROJECT_ROOT / "Pulumi.dev.yaml") == []
    assert problems_of(PROJECT_ROOT / "Pulumi.prod.yaml") == []


# (key added to the dev stack, what the message must suggest)
MISSPELT = [
    ("endpointPublicAcess", "did you mean devsecops-platform:endpointPublicAccess?"),
    ("kyvernoFailureActions", "did you mean devsecops-platform:kyvernoFailureAction?"),
    ("LogRetentionDays", "did you mean devsecops-platform:logRetentionDays?"),
    ("devsecop-platform:azCount", "did you mean devsecops-platform:azCount?"),
    ("aws:regoin", "did you mean aws:region?"),
    ("aws:allowedAccountId", "did you mean aws:allowedAccountIds?"),
]


@pytest.mark.parametrize("key,suggestion", MISSPELT)
def test_a_misspelt_setting_is_an_error_that_suggests_the_right_one(tmp_path, key, suggestion):
    path = stack_variant(tmp_path, changes={key: True})
    full = key if ":" in key else f"devsecops-platform:{key}"
    assert [p for p in problems_of(path) if p.startswith(f"{full}: ")] == [
        f"{full}: got 'true'; allowed: no such setting; {suggestion}"]


@pytest.mark.parametrize("key", [
    "devsecops-platform:productionStacks", "aws:endpoints", "aws:skipCredentialsValidation", "aws:accessKey",
    "kubernetes:context", "pulumi:disable-default-providers", "random:seed",
])
def test_keys_the_program_does_not_read_are_errors(tmp_path, key):
    problems = problems_of(stack_variant(tmp_path, changes={key: "x"}))
    assert any(p.startswith(f"{key}: ") and "no such setting" in p for p in problems), problems


@pytest.mark.parametrize("changes", [
    {"aws:profile": "platform-dev"},
    {"aws:allowedAccountIds": ["111111111111"]},
    {"aws:allowedAccountIds": ["999999999999", "111111111111"]},
])
def test_the_provider_settings_on_the_allow_list_are_accepted(tmp_path, changes):
    assert set(PROVIDER_SETTINGS) >= set(changes)
    assert problems_of(stack_variant(tmp_path, changes=changes)) == []


@pytest.mark.parametrize("changes,words", [
    ({"aws:allowedAccountIds": ["222222222222"]}, "a list that includes accountId (111111111111)"),
    ({"aws:allowedAccountIds": [111111111111]}, "a list of quoted 12-digit AWS account ids"),
    ({"aws:allowedAccountIds": "111111111111"}, "a list of quoted 12-digit AWS account ids"),
    ({"aws:profile": "two words"}, "the name of an AWS credentials profile"),
    ({"aws:region": "eu-west-1\n"}, "an AWS region such as eu-west-1"),
])
def test_provider_settings_are_checked(tmp_path, changes, words):
    (key,) = changes
    problems = problems_of(stack_variant(tmp_path, changes=changes))
    assert any(p.startswith(f"{key}: ") and words in p for p in problems), problems


def test_a_secret_setting_given_in_plain_text_is_refused_and_never_echoed(tmp_path):
    problems = problems_of(stack_variant(tmp_path, changes={"argocdSsoClientSecret": "hunter2-plain"}))
    mine = [p for p in problems if p.startswith("devsecops-platform:argocdSsoClientSecret: ")]
    assert mine == ["devsecops-platform:argocdSsoClientSecret: got (value hidden); allowed: a secret value only: "
                    "pulumi config set --secret devsecops-platform:argocdSsoClientSecret"]
    assert not any("hunter2-plain" in p for p in problems)


@pytest.mark.parametrize("key", ["aws:secretKey", "devsecops-platform:dbPassword", "vault:token"])
def test_an_unknown_secret_looking_key_never_echoes_its_value(tmp_path, key):
    problems = problems_of(stack_variant(tmp_path, changes={key: "s3cr3t-value"}))
    assert any(p.startswith(f"{key}: got (value hidden)") for p in problems)
    assert not any("s3cr3t-value" in p for p in problems)


@pytest.mark.parametrize("key", ["accountId", "ciRepository", "aws:region"])
def test_only_secret_settings_may_be_secure_values(tmp_path, key):
    problems = problems_of(stack_variant(tmp_path, changes={key: {"secure": "v1:AAAA"}}))
    full = key if ":" in key else f"devsecops-platform:{key}"
    assert f"{full}: got (value hidden); allowed: a plain value: this setting holds no secret " \
           "(and a secure value could not be checked)" in problems
    assert not any("offline-secret-placeholder" in p for p in problems)


def test_a_setting_declared_in_pulumi_yaml_but_not_read_by_the_program_is_an_error(tmp_path):
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    project["config"]["productionStacks"] = {"type": "array", "items": {"type": "string"}, "description": "x", "default": []}
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    stack = stack_variant(tmp_path, base="prod", changes={"productionStacks": ["none"]})
    settings = load_stack_settings(stack, tmp_path)
    _, problems = read_settings(settings.config, settings.secret_keys, settings.stack)
    assert [str(p) for p in problems] == [
        "devsecops-platform:productionStacks: got '[\"none\"]'; allowed: no such setting "
        "(Pulumi.yaml declares every setting the program reads)"]


def test_the_program_refuses_unknown_keys_it_gets_from_the_cli_environment(tmp_path, monkeypatch):
    # A real `pulumi up` hands the config over in PULUMI_CONFIG; the loader lists those keys too.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"aws:endpoints": '[{"sts": "http://127.0.0.1"}]'}))
    recorded: list = []
    with pytest.raises(ConfigError) as caught:
        run_with_settings(load_stack_settings(PROJECT_ROOT / "Pulumi.dev.yaml"), recorded=recorded)
    assert [p.key for p in caught.value.problems] == ["aws:endpoints"] and recorded == []


def test_did_you_mean_stays_quiet_when_nothing_is_close():
    assert did_you_mean("privileged", SETTINGS) is None
    assert did_you_mean("x" * 5000, SETTINGS) is None
