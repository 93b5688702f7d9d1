"""A field of the wrong type is judged "cannot judge" (an error for that document, naming the field),
never a crash and never a pass. One case per field family the rules read, through the SDK's path."""
import json

import pytest

from policies.rule import CANNOT_JUDGE
from policy_plans import changed, policy_json, resource, run
from test_aws_resource_rules import GOOD, KEY, LAUNCH_TEMPLATE, LOG_GROUP, REPOSITORY, ROLE, SG, SG_RULE
from test_aws_stack_rules import SSE, bucket_plan
from test_eks_cluster_rules import GOOD_CHILD, GOOD_COMPONENT, child_plan, component_plan
from test_k8s_rules import ALLOW_BACKEND, CR, DENY_ALL, DEPLOY, DEPLOYMENT, NAMESPACE, NETWORK_POLICY, PROJECT, RBAC, \
    RELEASE, SERVICE, C, P, app
from test_kyverno_twins import installed


def unjudged(evaluation, rule: str) -> list[str]:
    """The rule's "cannot judge" errors (no longer among its violations)."""
    assert not any(CANNOT_JUDGE in v.message for v in evaluation.of(rule))
    return [e.message for e in evaluation.errors if e.message.startswith(f"{rule}: {CANNOT_JUDGE}: ")]


def assert_cannot_judge(evaluation, rule: str, names: str) -> None:
    found = unjudged(evaluation, rule)
    assert any(names in message for message in found), (found, evaluation.errors)
    assert rule not in evaluation.passed


def nested(depth: int, leaf):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


# --- Workloads ------------------------------------------------------------------------------------

WORKLOAD_CASES = [
    # rule, path, wrong value, what the message says
    ("k8s-no-latest-image", f"{C}.image", 5, "spec.template.spec.containers[0].image is 5, not a string"),
    ("k8s-image-registry-allowed", f"{C}.image", {"repository": "backend"}, "containers[0].image is an object, not a string"),
    ("k8s-no-privileged", f"{P}.containers", "x", "spec.template.spec.containers is a string, not a list"),
    ("k8s-no-privileged", f"{P}.containers", ["backend"], "spec.template.spec.containers[0] is a string, not an object"),
    ("k8s-no-privileged", f"{P}.containers", nested(40, {"privileged": True}), "containers[0] is a list, not an object"),
    ("k8s-no-privileged", f"{C}.securityContext", [], "containers[0].securityContext is a list, not an object"),
    ("k8s-no-privileged", f"{C}.securityContext.privileged", "true", "privileged is a string, not a boolean"),
    ("k8s-no-host-ports", f"{C}.ports.0.containerPort", "5000", "ports[0].containerPort is a string, not a number"),
    ("k8s-no-host-ports", f"{C}.ports.0.hostPort", "http", "ports[0].hostPort is a string, not a number"),
    ("k8s-no-host-ports", f"{C}.ports", {"containerPort": 5000}, "containers[0].ports is an object, not a list"),
    ("k8s-no-default-namespace", "metadata", "backend", "metadata is a string, not an object"),
    ("k8s-no-default-namespace", "metadata.namespace", ["app"], "metadata.namespace is a list, not a string"),
    ("k8s-no-plaintext-secret-env", f"{C}.env", {}, "containers[0].env is an object, not a list"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0.name", 7, "env[0].name is 7, not a string"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.drop", "ALL",
     "capabilities.drop is a string, not a list of strings"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.drop", [{"name": "ALL"}],
     "capabilities.drop[0] is an object, not a string"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.drop", nested(30, "ALL"),
     "capabilities.drop[0] is a list, not a string"),
    ("k8s-run-as-non-root", f"{C}.securityContext.runAsUser", "0", "runAsUser is a string, not a number"),
    ("k8s-run-as-non-root", f"{P}.securityContext", "restricted", "spec.template.spec.securityContext is a string"),
    ("k8s-no-host-namespaces", f"{P}.hostNetwork", "true", "spec.template.spec.hostNetwork is a string, not a boolean"),
    ("k8s-no-host-path", f"{P}.volumes", [None], "spec.template.spec.volumes[0] is null, not an object"),
    ("k8s-seccomp-profile", f"{P}.securityContext.seccompProfile", "RuntimeDefault", "seccompProfile is a string"),
    ("k8s-no-sa-token-automount", f"{P}.automountServiceAccountToken", 0, "automountServiceAccountToken is 0, not a boolean"),
    ("k8s-resources-required", f"{C}.resources", "1Gi", "containers[0].resources is a string, not an object"),
    ("k8s-no-latest-image", "spec", 5, "spec is 5, not an object"),
    ("k8s-no-latest-image", "spec.template", [], "spec.template is a list, not an object"),
]


@pytest.mark.parametrize("rule,path,value,names", WORKLOAD_CASES)
def test_a_workload_field_of_the_wrong_type_cannot_be_judged(rule, path, value, names):
    evaluation = run(resource(DEPLOYMENT, "backend", changed(DEPLOY, path, value)))
    assert_cannot_judge(evaluation, rule, names)
    assert all(e.path.endswith("::backend") for e in evaluation.errors)


def test_the_good_workload_has_nothing_that_cannot_be_judged():
    assert run(resource(DEPLOYMENT, "backend", DEPLOY)).errors == ()


def test_a_wrong_type_in_one_container_still_reports_the_others():
    good = DEPLOY["spec"]["template"]["spec"]["containers"][0]
    containers = [{**good, "name": "worker", "image": "nginx"}, {**good, "image": 5}]
    evaluation = run(resource(DEPLOYMENT, "backend", changed(DEPLOY, f"{P}.containers", containers)))
    [violation] = evaluation.of("k8s-no-latest-image")
    assert "container worker image 'nginx' has no tag or digest" in violation.message
    assert_cannot_judge(evaluation, "k8s-no-latest-image", "containers[1].image is 5")


# --- Namespaces, NetworkPolicies, Services, RBAC, installs -------------------------------------------

def _network_policy_case(policy):
    return [resource(DEPLOYMENT, "backend", DEPLOY), resource(NETWORK_POLICY, "deny", DENY_ALL),
            resource(NETWORK_POLICY, "np", policy)]


KUBERNETES_CASES = [
    # rule, resources, what the message says
    ("k8s-namespace-psa-restricted", [resource(NAMESPACE, "app", {"metadata": {"name": "app", "labels": "restricted"}})],
     "metadata.labels is a string, not an object"),
    ("k8s-network-policy-no-open-ingress", _network_policy_case(changed(ALLOW_BACKEND, "spec.ingress", "everyone")),
     "spec.ingress is a string, not a list"),
    ("k8s-network-policy-no-open-ingress",
     _network_policy_case(changed(ALLOW_BACKEND, "spec.ingress.0.from", [{"ipBlock": {"cidr": ["0.0.0.0/0"]}}])),
     "spec.ingress[0].from[0].ipBlock.cidr is a list, not a string"),
    ("k8s-default-deny-network-policy",
     [resource(DEPLOYMENT, "backend", DEPLOY), resource(NETWORK_POLICY, "deny", changed(DENY_ALL, "spec.policyTypes", "Ingress"))],
     "spec.policyTypes is a string, not a list of strings"),
    ("k8s-workload-network-policy",
     _network_policy_case(changed(ALLOW_BACKEND, "spec.podSelector", {"matchExpressions": [
         {"key": "app", "operator": "Like", "values": ["backend"]}]})),
     "NetworkPolicy np spec.podSelector.matchExpressions[0].operator is a string, not one of In, NotIn"),
    ("k8s-workload-network-policy", _network_policy_case(changed(ALLOW_BACKEND, "spec.podSelector", ["app"])),
     "spec.podSelector is a list, not an object"),
    ("k8s-service-type-restricted",
     [resource(SERVICE, "web", {"metadata": {"name": "web", "namespace": "app"}, "spec": {"type": ["LoadBalancer"]}})],
     "spec.type is a list, not a string"),
    ("k8s-rbac-no-wildcards", [resource(f"{RBAC}:ClusterRole", "r", {"rules": {"verbs": ["*"]}})],
     "rules is an object, not a list"),
    ("k8s-rbac-no-escalation-verbs",
     [resource(f"{RBAC}:ClusterRole", "r", {"rules": [{"resources": ["roles"], "verbs": "escalate"}]})],
     "rules[0].verbs is a string, not a list of strings"),
    ("k8s-rbac-no-cluster-admin-binding", [resource(f"{RBAC}:ClusterRoleBinding", "b", {"subjects": {"kind": "Group"}})],
     "subjects is an object, not a list"),
    ("argocd-appproject-restricted", [resource(CR, "project", changed(PROJECT, "spec.sourceRepos", "*"))],
     "spec.sourceRepos is a string, not a list of strings"),
    ("argocd-no-default-project", [resource(CR, "app", app({"name": "default"}))], "spec.project is an object"),
    ("helm-chart-version-pinned", [resource(RELEASE, "kyverno", {"chart": "kyverno", "version": 3})],
     "version is 3, not a string"),
    ("kyverno-policies-present",
     installed()[:-1] + [resource(installed()[-1].type, installed()[-1].name,
                                  changed(installed()[-1].inputs, "spec.rules", "Enforce"), depends_on=installed()[:1])],
     "spec.rules is a string, not a list"),
]


@pytest.mark.parametrize("rule,resources,names", KUBERNETES_CASES)
def test_a_kubernetes_field_of_the_wrong_type_cannot_be_judged(rule, resources, names):
    assert_cannot_judge(run(*resources), rule, names)


def test_one_unreadable_workload_does_not_hide_a_finding_on_another():
    odd = resource(DEPLOYMENT, "odd", changed(DEPLOY, "spec.template.metadata.labels", ["app=backend"]))
    unselected = resource(DEPLOYMENT, "other", changed(DEPLOY, "spec.template.metadata.labels.app", "other"))
    evaluation = run(odd, unselected, resource(NETWORK_POLICY, "deny", DENY_ALL), resource(NETWORK_POLICY, "np", ALLOW_BACKEND))
    assert [v.urn.rsplit("::", 1)[1] for v in evaluation.of("k8s-workload-network-policy")] == ["other"]
    [error] = [e for e in evaluation.errors if e.message.startswith("k8s-workload-network-policy")]
    assert error.path.endswith("::odd") and "metadata.labels is a list, not an object" in error.message


# --- AWS -------------------------------------------------------------------------------------------

AWS_CASES = [
    # rule, type, path, wrong value, what the message says
    ("kms-deletion-window", KEY, "deletionWindowInDays", "7", "deletionWindowInDays is a string, not a number"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy", "{not json", "policy is a string, not a JSON document"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy", json.dumps(["Statement"]), "policy is a list, not a JSON object"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy", policy_json("Allow everyone"), "Statement[0] is a string, not an object"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy",
     policy_json({"Effect": "Allow", "Principal": ["*"], "Action": "kms:Decrypt"}), "Principal is a list, not '*' or an object"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy",
     policy_json({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Condition": ["StringEquals"]}),
     "Condition is a list, not an object"),
    ("cloudwatch-log-group-retention", LOG_GROUP, "retentionInDays", "30", "retentionInDays is a string, not a number"),
    ("vpc-no-open-ingress", SG, "ingress", "0.0.0.0/0", "ingress is a string, not a list"),
    ("vpc-no-open-ingress", SG, "ingress.1.fromPort", "22", "ingress[1].fromPort is a string, not a number"),
    ("vpc-no-open-ingress", SG_RULE, "cidrBlocks", "0.0.0.0/0", "cidrBlocks is a string, not a list of strings"),
    ("ecr-kms-encryption", REPOSITORY, "encryptionConfigurations", "KMS", "encryptionConfigurations is a string, not a list"),
]


@pytest.mark.parametrize("rule,type_token,path,value,names", AWS_CASES)
def test_an_aws_field_of_the_wrong_type_cannot_be_judged(rule, type_token, path, value, names):
    assert_cannot_judge(run(resource(type_token, "subject", changed(GOOD[type_token], path, value))), rule, names)


@pytest.mark.parametrize("rule,resources,names", [
    ("nodegroup-imdsv2-required", [resource(LAUNCH_TEMPLATE, "lt", {"metadataOptions": {"httpTokens": "required",
                                                                                          "httpPutResponseHopLimit": "1"}})],
     "metadataOptions.httpPutResponseHopLimit is a string, not a number"),
    ("nodegroup-volumes-encrypted", [resource(LAUNCH_TEMPLATE, "lt", {"blockDeviceMappings": {"ebs": {"encrypted": True}}})],
     "blockDeviceMappings is an object, not a list"),
    ("iam-no-wildcard-action", [resource(ROLE, "r", {"inlinePolicies": [{"name": "p", "policy": "{"}]})],
     "inlinePolicies[0].policy is a string, not a JSON document"),
    ("eks-control-plane-logs-all-types", component_plan(changed(GOOD_COMPONENT, "enabledClusterLogTypes", "api")),
     "enabledClusterLogTypes is a string, not a list of strings"),
    ("eks-private-endpoint-enabled", child_plan(changed(GOOD_CHILD, "vpcConfig", [])), "vpcConfig is a list, not an object"),
    ("eks-supported-version", component_plan(changed(GOOD_COMPONENT, "version", 1.33)), "version is 1.33, not a string"),
    ("s3-encryption-kms", bucket_plan({SSE: ("rules", ["aws:kms"])}), "rules[0] is a string, not an object"),
])
def test_a_wrong_type_in_a_stack_rule_is_reported_on_its_resource(rule, resources, names):
    assert_cannot_judge(run(*resources), rule, names)


def test_public_endpoint_cidrs_of_the_wrong_type_cannot_be_judged():
    inputs = changed(changed(GOOD_CHILD, "vpcConfig.endpointPublicAccess", True), "vpcConfig.publicAccessCidrs",
                     "203.0.113.0/24")
    config = {"eks-public-endpoint-restricted": {"allowPublicEndpoint": True, "allowedPublicCidrs": ["203.0.113.0/24"]}}
    assert_cannot_judge(run(*child_plan(inputs), config=config), "eks-public-endpoint-restricted",
                        "vpcConfig.publicAccessCidrs is a string, not a list of strings")
