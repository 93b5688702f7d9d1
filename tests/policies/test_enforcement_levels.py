"""What each environment enforces, read through the same reconciliation a preview applies to the pack
config: prod makes every high and critical rule mandatory (advisory only with a written reason), and
the seed's controls; a capability beyond the baseline set is refused everywhere."""
from __future__ import annotations

import pytest
from policies.severity import Severity

from policies import pack
from policy_plans import DEV, PROD, changed, resource, run
from preflight.evaluation import LEVEL_STRENGTH, evaluate, load_pack_config
from preflight.model import Plan
from test_pod_security_controls import DEPLOY, DEPLOYMENT, TC

# High or critical rules that stay advisory in prod, each with the reason. Empty: none does. A rule
# added here is listed in the README's "Advisory in prod" section with the same reason.
ADVISORY_IN_PROD: dict[str, str] = {}

# Controls the seed promises (its REJECTED admissions, audit logging, flow logs, versioned backups)
# whose rules are not high or critical: mandatory in prod all the same.
SEED_CONTROLS = (
    "k8s-resources-required", "k8s-read-only-root-fs", "k8s-drop-all-capabilities", "k8s-seccomp-profile",
    "k8s-no-sa-token-automount", "cloudwatch-log-group-kms", "cloudwatch-log-group-retention",
    "vpc-flow-logs-enabled", "s3-versioning",
)


def levels(config_path: str) -> dict[str, str]:
    """Rule -> enforcement level after the pack config is applied ("all" included)."""
    empty = Plan(project="levels", stack="levels", resources=(), outputs={})
    return {meta.name: meta.enforcement for meta in evaluate(empty, load_pack_config(config_path)).policies}


def test_high_and_critical_rules_are_advisory_in_prod_only_with_a_written_reason():
    prod = levels(PROD)
    advisory = {r.name for r in pack.RULES
                if r.severity in (Severity.HIGH, Severity.CRITICAL) and LEVEL_STRENGTH[prod[r.name]] < 2}
    assert advisory == set(ADVISORY_IN_PROD)
    assert all(reason.strip() for reason in ADVISORY_IN_PROD.values())


@pytest.mark.parametrize("rule", SEED_CONTROLS)
def test_seed_controls_are_mandatory_in_prod(rule):
    assert levels(PROD)[rule] == "mandatory"


@pytest.mark.parametrize("config", [DEV, PROD])
def test_a_capability_beyond_the_baseline_set_fails_a_critical_mandatory_rule(config):
    deployment = changed(DEPLOY, f"{TC}.securityContext.capabilities.add", ["SYS_ADMIN"])
    violations = run(resource(DEPLOYMENT, "web", deployment), config=config).of("k8s-capabilities-baseline")
    assert violations and all(v.mandatory and v.severity == "critical" for v in violations)
