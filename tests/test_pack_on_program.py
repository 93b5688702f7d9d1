"""The pack on the real program: shipped stacks pass, and turning one security setting off fails
exactly the rule named for it (the pair proves program and pack are wired to each other).

Settings the stack config can express are changed in a copy of the stack file and the program is
run again. Settings the config deliberately cannot turn off (its loader refuses them) are turned off
in the program's recorded registration instead: the same resource, with one input changed.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable

import pytest

from preflight.evaluation import Evaluation, evaluate, load_pack_config
from preflight.engine import run_program
from preflight.model import Plan
from stack_variants import stack_variant

ENVIRONMENTS = ("dev", "prod")


def _config(env: str) -> dict:
    return load_pack_config(f"policies/config/{env}.json")


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {env: run_program(stack=env) for env in ENVIRONMENTS}


@pytest.fixture(scope="module")
def baselines(plans) -> dict[str, Evaluation]:
    return {env: evaluate(plans[env], _config(env)) for env in ENVIRONMENTS}


def _keys(evaluation: Evaluation) -> set[tuple[str, str, str]]:
    return {(v.policy, v.urn, v.message) for v in evaluation.violations}


def _new_failures(baseline: Evaluation, evaluation: Evaluation) -> set[str]:
    return {policy for policy, _, _ in _keys(evaluation) - _keys(baseline)}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_shipped_stack_has_no_mandatory_violation(env, baselines):
    assert baselines[env].mandatory == ()


CONFIG_MUTATIONS = [
    ("eks-public-endpoint-restricted", "dev", {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}),
    ("eks-public-endpoint-restricted", "dev", {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"]}),
    ("cloudwatch-log-group-retention", "dev", {"logRetentionDays": 7}),
    ("k8s-image-digest-pinned", "dev",
     {"services.backend.image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/backend:1.2.3"}),
    ("k8s-network-policy-no-open-ingress", "dev", {"services.frontend.ingressCidrs": ["0.0.0.0/0"]}),
    ("kyverno-image-attestations", "dev", {"vulnerabilityScanMaxAgeHours": 720}),
    ("eks-audit-log-alarms", "dev", {"alarmSubscribers": []}),
    # The dev pack config says the stack runs GuardDuty itself; a stack that stops doing so fails.
    ("guardduty-eks-protection", "dev", {"guardDutyManagedCentrally": True}),
]


@pytest.mark.parametrize("rule,env,changes", CONFIG_MUTATIONS)
def test_config_setting_turned_off_fails_exactly_its_rule(rule, env, changes, baselines, tmp_path):
    plan = run_program(stack_file=stack_variant(tmp_path, base=env, changes=changes))
    assert _new_failures(baselines[env], evaluate(plan, _config(env))) == {rule}


def _set(path: list[Any], value: Any) -> Callable[[dict], None]:
    def mutate(inputs: dict) -> None:
        node = inputs
        for key in path[:-1]:
            node = node[key]
        if value is _DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    return mutate


def _replace_in(key: str, old: str, new: str) -> Callable[[dict], None]:
    def mutate(inputs: dict) -> None:
        assert old in inputs[key]
        inputs[key] = inputs[key].replace(old, new)
    return mutate


_DELETE = object()
CONTAINER = ["spec", "template", "spec", "containers", 0, "securityContext"]

PROGRAM_MUTATIONS = [
    ("kms-key-rotation", "dev", "keys-secrets", _set(["enableKeyRotation"], False)),
    ("kms-no-lockout-bypass", "dev", "keys-secrets", _set(["bypassPolicyLockoutSafetyCheck"], True)),
    ("kms-deletion-window", "prod", "keys-secrets", _set(["deletionWindowInDays"], 7)),
    ("ecr-immutable-tags", "prod", "registry-frontend", _set(["imageTagMutability"], "MUTABLE")),
    ("ecr-scan-on-push", "prod", "registry-frontend", _set(["imageScanningConfiguration", "scanOnPush"], False)),
    ("ecr-kms-encryption", "prod", "registry-frontend", _set(["encryptionConfigurations"], _DELETE)),
    ("cloudwatch-log-group-kms", "prod", "network-flow-logs", _set(["kmsKeyId"], _DELETE)),
    ("vpc-flow-logs-enabled", "prod", "network-flow-log", _set(["trafficType"], "REJECT")),
    ("nodegroup-imdsv2-required", "prod", "cluster-node-template", _set(["metadataOptions", "httpTokens"], "optional")),
    ("nodegroup-volumes-encrypted", "prod", "cluster-node-template",
     _set(["blockDeviceMappings", 0, "ebs", "encrypted"], "false")),
    ("nodegroup-no-ssh", "prod", "cluster-nodes", _set(["remoteAccess"], {"ec2SshKey": "ops"})),
    ("eks-vpc-cni-network-policy", "prod", "cluster-addon-vpc-cni", _set(["configurationValues"], "{}")),
    ("eks-ebs-csi-irsa", "prod", "cluster-addon-aws-ebs-csi-driver", _set(["serviceAccountRoleArn"], _DELETE)),
    ("eks-control-plane-logs-all-types", "prod", "cluster-eks", _set(["enabledClusterLogTypes"], ["api", "audit"])),
    ("eks-secrets-encryption-cmk", "prod", "cluster-eks", _set(["encryptionConfigKeyArn"], _DELETE)),
    ("eks-private-endpoint-enabled", "prod", "cluster-eks", _set(["endpointPrivateAccess"], False)),
    ("eks-api-authentication-mode", "prod", "cluster-eks", _set(["authenticationMode"], "CONFIG_MAP")),
    ("s3-public-access-block", "prod", "database-backups-public-access", _set(["blockPublicPolicy"], False)),
    ("s3-versioning", "prod", "database-backups-versioning", _set(["versioningConfiguration", "status"], "Suspended")),
    ("k8s-namespace-psa-restricted", "prod", "app-namespace",
     _set(["metadata", "labels", "pod-security.kubernetes.io/enforce"], "baseline")),
    ("k8s-run-as-non-root", "prod", "app-frontend", _set(CONTAINER + ["runAsNonRoot"], False)),
    ("k8s-no-privilege-escalation", "prod", "app-frontend", _set(CONTAINER + ["allowPrivilegeEscalation"], True)),
    ("k8s-read-only-root-fs", "prod", "app-frontend", _set(CONTAINER + ["readOnlyRootFilesystem"], False)),
    ("k8s-no-sa-token-automount", "prod", "app-frontend",
     _set(["spec", "template", "spec", "automountServiceAccountToken"], True)),
    ("k8s-service-type-restricted", "prod", "database-postgres-svc", _set(["spec", "type"], "LoadBalancer")),
    ("argocd-no-default-project", "prod", "gitops-application", _set(["spec", "project"], "default")),
    ("helm-chart-version-pinned", "prod", "admission-kyverno", _set(["version"], "^3.7.0")),
    ("iam-role-trust-no-wildcard-principal", "prod", "cluster-node-role",
     _replace_in("assumeRolePolicy", '{"Service": "ec2.amazonaws.com"}', '{"AWS": "*"}')),
    ("iam-ci-oidc-trust-pinned", "prod", "ci-role",
     _replace_in("assumeRolePolicy", '"repo:example-org/devsecops-platform:', '"repo:example-org/*:')),
    ("guardduty-eks-protection", "prod", "guardduty-eks-runtime-monitoring", _set(["status"], "DISABLED")),
    ("guardduty-eks-protection", "prod", "guardduty-eks-audit-logs", _set(["status"], "DISABLED")),
    ("sns-topic-kms", "prod", "detection-topic", _set(["kmsMasterKeyId"], _DELETE)),
]


def _variant(plan: Plan, name: str, mutate: Callable[[dict], None]) -> Plan:
    [target] = [r for r in plan.resources if r.name == name and (r.custom or r.remote)]
    inputs = copy.deepcopy(target.inputs)
    mutate(inputs)
    changed = dataclasses.replace(target, inputs=inputs)
    return dataclasses.replace(plan, resources=tuple(changed if r is target else r for r in plan.resources))


@pytest.mark.parametrize("rule,env,name,mutate", PROGRAM_MUTATIONS, ids=[m[0] for m in PROGRAM_MUTATIONS])
def test_program_setting_turned_off_fails_exactly_its_rule(rule, env, name, mutate, plans, baselines):
    evaluation = evaluate(_variant(plans[env], name, mutate), _config(env))
    assert _new_failures(baselines[env], evaluation) == {rule}


# Resources taken away: the program without one of its detective controls (name None: every one of the type).
REMOVALS = [
    ("eks-audit-log-alarms", "prod", "aws:cloudwatch/metricAlarm:MetricAlarm", "detection-podExec-alarm"),
    ("eks-audit-log-alarms", "prod", "aws:cloudwatch/logMetricFilter:LogMetricFilter", "detection-admissionChange"),
    ("eks-audit-review-queries", "dev", "aws:cloudwatch/queryDefinition:QueryDefinition", None),
]


@pytest.mark.parametrize("rule,env,type_token,name", REMOVALS, ids=[f"{m[0]}-{m[3]}" for m in REMOVALS])
def test_program_control_taken_away_fails_exactly_its_rule(rule, env, type_token, name, plans, baselines):
    kept = tuple(r for r in plans[env].resources if not (r.type == type_token and name in (None, r.name)))
    assert len(kept) < len(plans[env].resources)
    evaluation = evaluate(dataclasses.replace(plans[env], resources=kept), _config(env))
    assert _new_failures(baselines[env], evaluation) == {rule}
