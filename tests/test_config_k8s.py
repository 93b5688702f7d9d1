"""Settings of the Kubernetes layer: each bad value is named with what is allowed, before anything registers."""
from __future__ import annotations

import pytest
import yaml

from components.config import ConfigError
from preflight.engine import run_with_settings
from preflight.stack_files import PROJECT_ROOT, load_stack_settings
from stack_variants import stack_variant

DEV_REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "@sha256:" + "b" * 64
SSO = {
    "argocdSsoIssuer": "https://login.example.com", "argocdSsoClientId": "argocd", "argocdSsoClientSecret": {"secure": "v1:AAAA"},
    "argocdUrl": "https://argocd.internal.example.com", "argocdAdminGroups": ["platform-admins"],
}


def problems_for(tmp_path, base: str, changes: dict) -> list[str]:
    path = stack_variant(tmp_path, base=base, changes=changes)
    with pytest.raises(ConfigError) as caught:
        run_with_settings(load_stack_settings(path))
    return [str(p) for p in caught.value.problems]


# (change, base stack, the setting named in the message, words that say what is allowed)
BAD_INPUTS = [
    ({"kyvernoFailureAction": "Warn"}, "dev", "devsecops-platform:kyvernoFailureAction", "one of Enforce, Audit"),
    ({"kyvernoFailureAction": "Audit"}, "prod", "devsecops-platform:kyvernoFailureAction", "Enforce when environment is prod"),
    ({"argocdRepoUrl": "git@github.com:example-org/gitops.git"}, "dev", "devsecops-platform:argocdRepoUrl", "https:// URL"),
    ({"argocdRepoPath": "../other"}, "dev", "devsecops-platform:argocdRepoPath", "without .."),
    ({"argocdRepoRevision": "HEAD"}, "dev", "devsecops-platform:argocdRepoRevision", "not HEAD"),
    ({"argocdSsoIssuer": "https://login.example.com"}, "dev", "devsecops-platform:argocdSsoClientId", "or none (no SSO)"),
    ({**SSO, "argocdSsoIssuer": "http://login.example.com"}, "dev", "devsecops-platform:argocdSsoIssuer", "https:// issuer URL"),
    ({**SSO, "argocdUrl": ""}, "dev", "devsecops-platform:argocdUrl", "SSO redirects back to it"),
    ({**SSO, "argocdUrl": "argocd.internal"}, "dev", "devsecops-platform:argocdUrl", "https:// URL users reach ArgoCD at"),
    ({**SSO, "argocdAdminGroups": []}, "dev", "devsecops-platform:argocdAdminGroups", "at least one SSO group"),
    ({**SSO, "argocdReadonlyGroups": ["dev,ops"]}, "dev", "devsecops-platform:argocdReadonlyGroups[0]", "without commas"),
    ({"backupSchedule": "daily"}, "dev", "devsecops-platform:backupSchedule", "five-field cron"),
    ({"restoreDrillSchedule": "weekly"}, "dev", "devsecops-platform:restoreDrillSchedule", "five-field cron schedule, e.g. 0 4 * * 0"),
    ({"restoreDrillSchedule": "0 4 * * SUN"}, "prod", "devsecops-platform:restoreDrillSchedule", "five-field cron"),
    ({"backupRetentionDays": 0}, "dev", "devsecops-platform:backupRetentionDays", "from 1 to 3650"),
    ({"backupRetentionDays": 7}, "prod", "devsecops-platform:backupRetentionDays", "30 or more when environment is prod"),
    ({"backupImage": f"{DEV_REGISTRY}/devsecops-dev/db-backup:1.0.0"}, "dev", "devsecops-platform:backupImage", "pinned by digest"),
    ({"backupImage": f"{DEV_REGISTRY}/devsecops-prod/db-backup{DIGEST}"}, "dev", "devsecops-platform:backupImage", "devsecops-dev/db-backup@sha256:"),
    ({"backupImage": f"public.ecr.aws/docker/library/postgres{DIGEST}"}, "dev", "devsecops-platform:backupImage", "this stack's ECR repository"),
    ({"services.postgres.replicas": 2}, "dev", "devsecops-platform:services.postgres.replicas", "a single PostgreSQL primary"),
    ({"services.backend.healthPath": "health"}, "dev", "devsecops-platform:services.backend.healthPath", "starting with /"),
    ({"services.backend.env": {"DB_PORT": 5432}}, "dev", "devsecops-platform:services.backend.env", "quote numbers"),
    ({"services.backend.env": {"1ST": "x"}}, "dev", "devsecops-platform:services.backend.env", "variable names of letters"),
    ({"services.backend.secretFiles": {"DB_PASSWORD_FILE": "root-password"}}, "dev", "devsecops-platform:services.backend.secretFiles.DB_PASSWORD_FILE", "db-password"),
    ({"services.backend.env": {"DB_PASSWORD_FILE": "/tmp/password"}}, "dev", "devsecops-platform:services.backend.secretFiles", "not also set in env"),
    ({"services.frontend.ingressCidrs": ["10.0.96.0/33"]}, "dev", "devsecops-platform:services.frontend.ingressCidrs[0]", "CIDR form"),
    ({"services.frontend.ingressCidrs": ["0.0.0.0/0"]}, "prod", "devsecops-platform:services.frontend.ingressCidrs[0]", "never the whole internet"),
]


@pytest.mark.parametrize("changes,base,key,allowed", BAD_INPUTS, ids=[f"{c[2].split(':')[-1]}-{i}" for i, c in enumerate(BAD_INPUTS)])
def test_bad_setting_is_named_with_what_is_allowed(tmp_path, changes, base, key, allowed):
    problems = problems_for(tmp_path, base, changes)
    assert any(p.startswith(f"{key}:") and allowed in p for p in problems), problems


def test_database_service_must_be_declared(tmp_path):
    path = stack_variant(tmp_path, changes={"services.backend.calls": []})
    settings = load_stack_settings(path)
    services = settings.config["devsecops-platform:services"].replace('"postgres"', '"database"')
    settings.config["devsecops-platform:services"] = services
    with pytest.raises(ConfigError) as caught:
        run_with_settings(settings)
    assert any("services:" in str(p) and "a service named postgres" in str(p) for p in caught.value.problems)


def test_every_problem_is_reported_at_once(tmp_path):
    problems = problems_for(tmp_path, "prod", {"kyvernoFailureAction": "Audit", "backupSchedule": "hourly", "argocdRepoUrl": ""})
    named = {p.split(": got")[0] for p in problems}
    assert {"devsecops-platform:kyvernoFailureAction", "devsecops-platform:backupSchedule", "devsecops-platform:argocdRepoUrl"} <= named


def test_complete_sso_settings_are_accepted(tmp_path):
    plan = run_with_settings(load_stack_settings(stack_variant(tmp_path, changes=SSO)))
    assert plan.resources


def test_dev_may_audit():
    assert run_with_settings(load_stack_settings(PROJECT_ROOT / "Pulumi.dev.yaml")).resources


def test_project_defaults_are_the_secure_choice():
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]
    assert declared["kyvernoFailureAction"]["default"] == "Enforce"
    assert declared["backupRetentionDays"]["default"] >= 30
    # Empty means "must be set": no stack runs against a guessed repository or image.
    assert declared["argocdRepoUrl"]["default"] == declared["backupImage"]["default"] == ""
