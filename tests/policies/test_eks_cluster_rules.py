"""EKS cluster rules over both shapes: pulumi-eks component inputs and the real child cluster."""
import pytest

from policy_plans import (DELETE, UNKNOWN, assert_outcome, changed, resource, run, DEV)

COMPONENT = "eks:index:Cluster"
CHILD = "aws:eks/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

GOOD_COMPONENT = {
    "name": "platform-prod",
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "encryptionConfigKeyArn": "arn:aws:kms:us-east-1:000000000000:key/secrets",
    "endpointPrivateAccess": True,
    "endpointPublicAccess": False,
    "authenticationMode": "API",
    "version": "1.33",
    "skipDefaultNodeGroup": True,
}
GOOD_CHILD = {
    "name": "platform-prod",
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "encryptionConfig": {"provider": {"keyArn": "arn:aws:kms:us-east-1:000000000000:key/secrets"},
                         "resources": ["secrets"]},
    "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-1"]},
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "version": "1.33",
}


def component_plan(inputs):
    log_group = resource(LOG_GROUP, "cp-logs", {"name": "/aws/eks/platform-prod/cluster"})
    return [log_group, resource(COMPONENT, "cluster", inputs, depends_on=[log_group])]


def child_plan(inputs):
    log_group = resource(LOG_GROUP, "cp-logs", {"name": "/aws/eks/platform-prod/cluster"})
    component = resource(COMPONENT, "cluster", GOOD_COMPONENT, depends_on=[log_group])
    return [log_group, component, resource(CHILD, "cluster-eksCluster", inputs, parent=component)]


LOGS = ["api", "audit", "authenticator", "controllerManager"]

CASES = [
    # rule, shape, path, value, expected
    ("eks-control-plane-logs-all-types", "component", None, None, "pass"),
    ("eks-control-plane-logs-all-types", "component", "enabledClusterLogTypes", LOGS, "fail"),
    ("eks-control-plane-logs-all-types", "component", "enabledClusterLogTypes", UNKNOWN, "unknown"),
    ("eks-control-plane-logs-all-types", "child", "enabledClusterLogTypes", LOGS, "fail"),
    ("eks-secrets-encryption-cmk", "component", None, None, "pass"),
    ("eks-secrets-encryption-cmk", "component", "encryptionConfigKeyArn", DELETE, "fail"),
    ("eks-secrets-encryption-cmk", "component", "encryptionConfigKeyArn", UNKNOWN, "pass"),  # a key the stack creates
    ("eks-secrets-encryption-cmk", "child", None, None, "pass"),
    ("eks-secrets-encryption-cmk", "child", "encryptionConfig.resources", [], "fail"),
    ("eks-secrets-encryption-cmk", "child", "encryptionConfig.resources", UNKNOWN, "unknown"),
    ("eks-secrets-encryption-cmk", "child", "encryptionConfig.provider.keyArn",
     "arn:aws:kms:us-east-1:000000000000:alias/aws/eks", "fail"),
    ("eks-public-endpoint-restricted", "component", None, None, "pass"),
    ("eks-public-endpoint-restricted", "component", "endpointPublicAccess", True, "fail"),
    ("eks-public-endpoint-restricted", "component", "endpointPublicAccess", DELETE, "fail"),  # EKS default: public
    ("eks-public-endpoint-restricted", "component", "endpointPublicAccess", UNKNOWN, "unknown"),
    ("eks-public-endpoint-restricted", "child", "vpcConfig.endpointPublicAccess", True, "fail"),
    ("eks-private-endpoint-enabled", "component", None, None, "pass"),
    ("eks-private-endpoint-enabled", "component", "endpointPrivateAccess", False, "fail"),
    ("eks-private-endpoint-enabled", "component", "endpointPrivateAccess", UNKNOWN, "unknown"),
    ("eks-private-endpoint-enabled", "child", "vpcConfig.endpointPrivateAccess", DELETE, "fail"),
    ("eks-supported-version", "component", None, None, "pass"),
    ("eks-supported-version", "component", "version", "1.24", "fail"),
    ("eks-supported-version", "component", "version", DELETE, "fail"),
    ("eks-supported-version", "component", "version", UNKNOWN, "unknown"),
    ("eks-api-authentication-mode", "component", None, None, "pass"),
    ("eks-api-authentication-mode", "component", "authenticationMode", "CONFIG_MAP", "fail"),
    ("eks-api-authentication-mode", "component", "authenticationMode", UNKNOWN, "unknown"),
    ("eks-api-authentication-mode", "child", "accessConfig", DELETE, "fail"),
    ("eks-no-bootstrap-creator-admin", "child", None, None, "pass"),
    ("eks-no-bootstrap-creator-admin", "child", "accessConfig.bootstrapClusterCreatorAdminPermissions", True, "fail"),
    ("eks-no-bootstrap-creator-admin", "child", "accessConfig.bootstrapClusterCreatorAdminPermissions", DELETE, "fail"),
    ("eks-no-bootstrap-creator-admin", "child", "accessConfig.bootstrapClusterCreatorAdminPermissions", UNKNOWN, "unknown"),
    ("eks-control-plane-log-group-managed", "component", None, None, "pass"),
    ("eks-control-plane-log-group-managed", "component", "name", "other", "fail"),
    ("eks-control-plane-log-group-managed", "component", "name", DELETE, "fail"),
    ("eks-control-plane-log-group-managed", "component", "name", UNKNOWN, "unknown"),
]


@pytest.mark.parametrize("rule,shape,path,value,expected", CASES)
def test_cluster_rule(rule, shape, path, value, expected):
    base = GOOD_COMPONENT if shape == "component" else GOOD_CHILD
    inputs = changed(base, path, value) if path else base
    build = component_plan if shape == "component" else child_plan
    assert_outcome(run(*build(inputs)), rule, expected)


def test_a_cluster_with_its_child_is_reported_once_from_the_child():
    bad_child = changed(GOOD_CHILD, "enabledClusterLogTypes", LOGS)
    evaluation = run(*child_plan(bad_child))
    found = evaluation.of("eks-control-plane-logs-all-types")
    assert len(found) == 1 and "::aws:eks/cluster:Cluster::" in found[0].urn


def test_bootstrap_admin_is_not_applicable_when_only_the_component_is_visible():
    evaluation = run(*component_plan(GOOD_COMPONENT))
    assert evaluation.of("eks-no-bootstrap-creator-admin") == ()
    assert "eks-no-bootstrap-creator-admin" in {n.policy for n in evaluation.not_applicable}
    assert "eks-no-bootstrap-creator-admin" not in evaluation.passed


def test_public_endpoint_allowed_in_dev_only_to_configured_cidrs():
    allowed = changed(changed(GOOD_COMPONENT, "endpointPublicAccess", True), "publicAccessCidrs", ["203.0.113.0/28"])
    assert_outcome(run(*component_plan(allowed), config=DEV), "eks-public-endpoint-restricted", "pass")
    world = changed(allowed, "publicAccessCidrs", ["0.0.0.0/0"])
    assert_outcome(run(*component_plan(world), config=DEV), "eks-public-endpoint-restricted", "fail")
    unset = changed(allowed, "publicAccessCidrs", DELETE)  # EKS default opens it to 0.0.0.0/0
    assert_outcome(run(*component_plan(unset), config=DEV), "eks-public-endpoint-restricted", "fail")
    other = changed(allowed, "publicAccessCidrs", ["198.51.100.0/24"])
    assert_outcome(run(*component_plan(other), config=DEV), "eks-public-endpoint-restricted", "fail")


def test_log_group_must_come_before_the_cluster():
    log_group = resource(LOG_GROUP, "cp-logs", {"name": "/aws/eks/platform-prod/cluster"})
    evaluation = run(log_group, resource(COMPONENT, "cluster", GOOD_COMPONENT))
    assert_outcome(evaluation, "eks-control-plane-log-group-managed", "fail")
