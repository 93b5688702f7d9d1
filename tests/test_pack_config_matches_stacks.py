"""The pack config of each environment names the same registries the stack's own settings name.

The program and the pack are configured separately (stack config vs --policy-pack-config); when an
account, region or registry allow-list changes in one, this test fails until the other follows.
"""
from __future__ import annotations

import json

import pytest
import yaml

from components.admission import signed_image_patterns
from preflight.stack_files import PROJECT_ROOT

PROJECT = "devsecops-platform"


def stack_and_pack(stack: str) -> tuple[dict, dict]:
    config = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]

    def setting(key):
        return config.get(f"{PROJECT}:{key}", project[key]["default"])

    settings = {key: setting(key) for key in ("environment", "accountId", "namePrefix", "allowedImageRegistries", "logRetentionDays")}
    settings["region"] = config["aws:region"]
    pack = json.loads((PROJECT_ROOT / "policies" / "config" / f"{settings['environment']}.json").read_text())
    return settings, pack


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_allowed_and_signed_registries_match_the_stack(stack):
    s, pack = stack_and_pack(stack)
    registry = f"{s['accountId']}.dkr.ecr.{s['region']}.amazonaws.com"
    assert pack["k8s-image-registry-allowed"]["allowedRegistries"] == [registry, *s["allowedImageRegistries"]]
    assert pack["k8s-image-digest-pinned"]["signedImagePatterns"] == list(signed_image_patterns(registry, f"{s['namePrefix']}-{stack}"))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_log_retention_meets_the_packs_minimum(stack):
    s, pack = stack_and_pack(stack)
    assert s["logRetentionDays"] >= pack["cloudwatch-log-group-retention"]["minimumDays"]
