"""Stack config validation: every bad input gets its own clear message, all at once, before anything registers."""
from __future__ import annotations

import pytest

from components.config import ConfigError
from preflight.engine import run_with_settings
from preflight.stack_files import load_stack_settings
from stack_variants import stack_variant

REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "@sha256:" + "a" * 64


def run_expecting_problems(tmp_path, base="dev", changes=None, remove=()):
    """Runs the program on a variant and returns (problem strings, resources registered)."""
    path = stack_variant(tmp_path, base=base, changes=changes, remove=remove)
    recorded: list = []
    with pytest.raises(ConfigError) as caught:
        run_with_settings(load_stack_settings(path), recorded=recorded)
    return [str(p) for p in caught.value.problems], recorded


# (change, base stack, the setting named in the message, words that say what is allowed)
BAD_INPUTS = [
    ({"azCount": 1}, "dev", "devsecops-platform:azCount", "from 2 to 6"),
    ({"azCount": 2, "natGatewayMode": "perAz"}, "prod", "devsecops-platform:azCount", "3 or more when environment is prod"),
    ({"vpcCidr": "10.0.0.0/8"}, "dev", "devsecops-platform:vpcCidr", "/16 to /24"),
    ({"vpcCidr": "10.0.0.300/16"}, "dev", "devsecops-platform:vpcCidr", "IPv4 network in CIDR form"),
    ({"publicSubnetCidrs": ["10.0.0.0/22", "10.0.100.0/22"]}, "dev", "devsecops-platform:publicSubnetCidrs[0]", "does not overlap"),
    ({"privateSubnetCidrs": ["10.0.0.0/19", "10.1.0.0/19"]}, "dev", "devsecops-platform:privateSubnetCidrs[1]", "inside vpcCidr"),
    ({"privateSubnetCidrs": ["10.0.0.0/19"]}, "dev", "devsecops-platform:privateSubnetCidrs", "at least azCount (2)"),
    ({"natGatewayMode": "single"}, "prod", "devsecops-platform:natGatewayMode", "perAz when environment is prod"),
    ({"kubernetesVersion": "1.25"}, "dev", "devsecops-platform:kubernetesVersion", "one of 1.32, 1.33, 1.34"),
    ({"nodeMinSize": 3, "nodeDesiredSize": 2}, "dev", "devsecops-platform:nodeDesiredSize", "between nodeMinSize (3) and nodeMaxSize (4)"),
    ({"nodeInstanceTypes": ["large"]}, "dev", "devsecops-platform:nodeInstanceTypes[0]", "EC2 instance type"),
    ({"logRetentionDays": 45}, "dev", "devsecops-platform:logRetentionDays", "one of 1, 3, 5"),
    ({"logRetentionDays": 180}, "prod", "devsecops-platform:logRetentionDays", "365 or more when environment is prod"),
    ({"endpointPublicAccess": True}, "dev", "devsecops-platform:publicAccessCidrs", "explicit list of allowed networks"),
    ({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}, "prod", "devsecops-platform:publicAccessCidrs[0]", "never the whole internet"),
    ({"services.frontend.image": f"{REGISTRY}/devsecops-dev/frontend:latest"}, "dev", "devsecops-platform:services.frontend.image", "never latest"),
    ({"services.backend.image": "nginx"}, "dev", "devsecops-platform:services.backend.image", "pinned by digest"),
    ({"services.backend.image": "docker.io/library/nginx" + DIGEST}, "dev", "devsecops-platform:services.backend.image", "allowedImageRegistries"),
    ({"services.frontend.calls": ["cache"]}, "dev", "devsecops-platform:services.frontend.calls", "names of other declared services"),
    ({"services.backend.resources": {"requests": {"cpu": "lots", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}},
     "dev", "devsecops-platform:services.backend.resources.requests.cpu", "cpu quantity"),
    ({"argocdSsoClientSecret": "hunter2"}, "dev", "devsecops-platform:argocdSsoClientSecret", "pulumi config set --secret"),
    ({"accountId": "12345"}, "dev", "devsecops-platform:accountId", "12-digit AWS account id"),
    ({"aws:region": "moon-1"}, "dev", "aws:region", "AWS region such as eu-west-1"),
    ({"kmsDeletionWindowDays": 7}, "prod", "devsecops-platform:kmsDeletionWindowDays", "30 when environment is prod"),
    ({"ciRepository": ""}, "dev", "devsecops-platform:ciRepository", "owner/repository"),
    ({"ciBranch": "release/*"}, "dev", "devsecops-platform:ciBranch", "no wildcards"),
    ({"ciProvider": "azure-devops"}, "dev", "devsecops-platform:ciAzureDevOpsOrganizationId", "GUID"),
    ({"clusterAdminPrincipalArns": ["admin"]}, "dev", "devsecops-platform:clusterAdminPrincipalArns[0]", "IAM role or user ARN"),
    ({"ecrImages": ["Frontend"]}, "dev", "devsecops-platform:ecrImages[0]", "lower-case"),
    ({"backupMaxAgeHours": 0}, "dev", "devsecops-platform:backupMaxAgeHours", "from 1 to 720"),
]


@pytest.mark.parametrize("changes,base,key,allowed", BAD_INPUTS, ids=[f"{c[2].split(':')[-1]}-{i}" for i, c in enumerate(BAD_INPUTS)])
def test_each_bad_input_gets_its_own_clear_message(tmp_path, changes, base, key, allowed):
    problems, recorded = run_expecting_problems(tmp_path, base=base, changes=changes)
    matching = [p for p in problems if p.startswith(f"{key}: ")]
    assert matching, problems
    assert any(allowed in p for p in matching), matching
    assert recorded == [], "nothing may be registered when config is bad"


def test_message_shows_the_value_given(tmp_path):
    problems, _ = run_expecting_problems(tmp_path, changes={"logRetentionDays": 45})
    assert problems == ["devsecops-platform:logRetentionDays: got 45; allowed: one of " + ", ".join(
        map(str, (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)))]


def test_several_bad_inputs_are_reported_in_one_run(tmp_path):
    problems, recorded = run_expecting_problems(tmp_path, base="prod", changes={
        "azCount": 2,
        "kubernetesVersion": "1.20",
        "logRetentionDays": 7,
        "services.frontend.image": "frontend:latest",
        "nodeMaxSize": 0,
    })
    keys = {p.split(": ")[0] for p in problems}
    assert {
        "devsecops-platform:azCount",
        "devsecops-platform:kubernetesVersion",
        "devsecops-platform:logRetentionDays",
        "devsecops-platform:services.frontend.image",
        "devsecops-platform:nodeMaxSize",
    } <= keys
    assert recorded == []


def test_plaintext_secret_value_is_never_echoed(tmp_path):
    problems, _ = run_expecting_problems(tmp_path, changes={"argocdSsoClientSecret": "hunter2"})
    assert not any("hunter2" in p for p in problems)


def test_secret_given_as_secure_value_is_accepted(tmp_path):
    path = stack_variant(tmp_path, changes={
        "argocdSsoIssuer": "https://login.example.org",
        "argocdSsoClientId": "argocd",
        "argocdSsoClientSecret": {"secure": "v1:AAAABBBB"},
        "argocdUrl": "https://argocd.internal.example.org",
        "argocdAdminGroups": ["platform-admins"],
    })
    plan = run_with_settings(load_stack_settings(path))
    assert plan.resources


def test_public_endpoint_with_named_networks_is_allowed_in_prod(tmp_path):
    path = stack_variant(tmp_path, base="prod", changes={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})
    plan = run_with_settings(load_stack_settings(path))
    cluster = plan.one("eks:index:Cluster")
    assert cluster.inputs["endpointPublicAccess"] is True
    assert cluster.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_image_tag_is_accepted_only_in_the_stacks_own_registry(tmp_path):
    own_tag = {"services.frontend.image": f"{REGISTRY}/devsecops-dev/frontend:1.4.2"}
    plan = run_with_settings(load_stack_settings(stack_variant(tmp_path, changes=own_tag)))
    assert plan.resources
    problems, _ = run_expecting_problems(tmp_path, changes={"services.postgres.image": "public.ecr.aws/docker/library/postgres:16.4"})
    assert any(p.startswith("devsecops-platform:services.postgres.image") and "pinned by digest" in p for p in problems)
