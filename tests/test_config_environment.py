"""The environment class is bound to the stack: a production stack is judged as prod, with the prod
pack config, whatever its stack file declares or whichever pack config is handed to the gate."""
from __future__ import annotations

import json

import pytest

from components.config import read_settings
from components.config_rules import environment_class, is_production_stack
from preflight.__main__ import main
from preflight.commands import PACK_CONFIG_DIR, UsageError, pack_config_for
from preflight.safe_load import LoadError
from preflight.stack_files import PROJECT_ROOT, load_stack_settings
from stack_variants import stack_variant

PROD_PACK = json.loads((PACK_CONFIG_DIR / "prod.json").read_text())
DEV_PACK = json.loads((PACK_CONFIG_DIR / "dev.json").read_text())


def problems_of(path) -> list[str]:
    settings = load_stack_settings(path)
    _, problems = read_settings(settings.config, settings.secret_keys, settings.stack)
    return [str(p) for p in problems]


@pytest.mark.parametrize("stack", ["prod", "prod-eu", "eu-prod", "eu_production", "PROD", "prod.2"])
def test_stacks_named_prod_are_production(stack):
    assert is_production_stack(stack) and environment_class("dev", stack) == "prod"


@pytest.mark.parametrize("stack", ["dev", "staging", "preprod", "product", "produce", "reprod"])
def test_other_stacks_keep_their_declared_environment(stack):
    assert not is_production_stack(stack) and environment_class("staging", stack) == "staging"


def test_a_declaration_that_names_no_environment_class_is_judged_as_prod():
    assert environment_class("../../tmp/weak", "dev") == "prod"


@pytest.mark.parametrize("name,environment", [("prod", "dev"), ("prod", "staging"), ("prod-eu", "dev")])
def test_a_production_stack_cannot_declare_a_weaker_environment(tmp_path, name, environment):
    path = stack_variant(tmp_path, base="prod", changes={"environment": environment}, name=name)
    assert any(p.startswith(f"devsecops-platform:environment: got '{environment}'; allowed: prod: stack '{name}' "
                            "is a production stack") for p in problems_of(path))


def test_a_production_stack_is_judged_by_every_prod_rule_while_it_declares_dev(tmp_path):
    path = stack_variant(tmp_path, base="prod", changes={"environment": "dev", "azCount": 2, "kyvernoFailureAction": "Audit"})
    keys = {p.split(": got")[0] for p in problems_of(path)}
    assert {"devsecops-platform:environment", "devsecops-platform:azCount", "devsecops-platform:kyvernoFailureAction"} <= keys


def test_a_dev_stack_may_declare_a_stricter_environment(tmp_path):
    path = stack_variant(tmp_path, base="prod", name="dev", changes={
        "backupImage": "222222222222.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/db-backup@sha256:" + "8" * 64})
    assert problems_of(path) == []


def test_the_pack_config_of_a_production_stack_is_prod_whatever_it_declares(tmp_path):
    path = stack_variant(tmp_path, base="prod", changes={"environment": "dev"})
    assert pack_config_for(path, None) == PROD_PACK


@pytest.mark.parametrize("environment", ["../../policies/config/dev", "DEV", "qa"])
def test_an_environment_that_names_no_class_gets_the_strictest_pack_config(tmp_path, environment):
    assert pack_config_for(stack_variant(tmp_path, changes={"environment": environment}), None) == PROD_PACK


def test_a_dev_stack_gets_the_dev_pack_config():
    assert pack_config_for(PROJECT_ROOT / "Pulumi.dev.yaml", None) == DEV_PACK


def weaker(tmp_path, config: dict) -> str:
    explicit = tmp_path / "given.json"
    explicit.write_text(json.dumps(config))
    with pytest.raises(UsageError) as caught:
        pack_config_for(PROJECT_ROOT / "Pulumi.prod.yaml", explicit)
    return str(caught.value)


def test_an_explicit_weaker_pack_config_for_a_production_stack_is_refused(tmp_path):
    message = weaker(tmp_path, DEV_PACK)
    assert "stack 'prod' is a production stack" in message
    assert "eks-private-endpoint-enabled is advisory, prod.json requires mandatory" in message


@pytest.mark.parametrize("config", [
    {"all": "advisory"},
    {"all": "disabled"},
    {**PROD_PACK, "k8s-no-privileged": "disabled"},
    {**PROD_PACK, "all": "mandatory", "k8s-no-privileged": "advisory"},
], ids=["all-advisory", "all-disabled", "one-disabled", "one-advisory"])
def test_any_weaker_level_after_reconciliation_is_refused(tmp_path, config):
    assert "prod.json requires" in weaker(tmp_path, config)


def test_other_settings_for_a_policy_are_refused(tmp_path):
    looser = {**PROD_PACK, "eks-public-endpoint-restricted": {"enforcementLevel": "mandatory", "allowPublicEndpoint": True}}
    assert "eks-public-endpoint-restricted has other settings than in prod.json" in weaker(tmp_path, looser)


@pytest.mark.parametrize("config", [PROD_PACK, {**PROD_PACK, "helm-chart-version-pinned": "mandatory"}], ids=["same", "stricter"])
def test_an_explicit_pack_config_at_least_as_strict_is_used(tmp_path, config):
    explicit = tmp_path / "given.json"
    explicit.write_text(json.dumps(config))
    assert pack_config_for(PROJECT_ROOT / "Pulumi.prod.yaml", explicit) == config


def test_a_dev_stack_may_be_given_any_pack_config(tmp_path):
    explicit = tmp_path / "given.json"
    explicit.write_text(json.dumps({"all": "advisory"}))
    assert pack_config_for(PROJECT_ROOT / "Pulumi.dev.yaml", explicit) == {"all": "advisory"}


@pytest.mark.parametrize("content,error", [
    (b"\xff\xfe\x00garbage", LoadError),
    (b"[1, 2]", UsageError),
    (b"{" * 5000, LoadError),
    (b"", LoadError),
], ids=["not-text", "a-list", "deep", "empty"])
def test_an_unreadable_pack_config_is_an_error(tmp_path, content, error):
    explicit = tmp_path / "given.json"
    explicit.write_bytes(content)
    with pytest.raises(error):
        pack_config_for(PROJECT_ROOT / "Pulumi.dev.yaml", explicit)


def test_the_cli_refuses_a_prod_stack_file_that_declares_dev(tmp_path, capsys):
    path = stack_variant(tmp_path, base="prod", changes={"environment": "dev"})
    status = main(["check", "--stack-file", str(path)])
    err = capsys.readouterr().err
    assert status == 2 and "devsecops-platform:environment: got 'dev'; allowed: prod" in err


def test_the_cli_refuses_the_dev_pack_config_for_the_prod_stack(capsys):
    status = main(["check", "--stack", "prod", "--policy-pack-config", str(PACK_CONFIG_DIR / "dev.json")])
    err = capsys.readouterr().err
    assert status == 2 and "is a production stack" in err and "Traceback" not in err
