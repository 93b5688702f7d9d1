"""Input shapes an auditor probes: other spellings of the same grant or exposure, and unknowns nested
where a rule might read them as absent. Each case goes through the SDK's evaluation path."""
import pytest

from policy_plans import UNKNOWN, assert_outcome, changed, policy_json, resource, run
from test_aws_resource_rules import GOOD, KEY, LAUNCH_TEMPLATE, NODE_GROUP, REPOSITORY_POLICY, ROLE, SG, SG_RULE, \
    INGRESS_RULE, LOG_GROUP, ci_trust, irsa_trust
from test_aws_stack_rules import BUCKET_POLICY, bucket_plan
from test_eks_cluster_rules import child_plan, GOOD_CHILD

ACCOUNT = "arn:aws:iam::000000000000"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
SERVICE = "kubernetes:core/v1:Service"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


# --- Principals ----------------------------------------------------------------------------------

def _everyone_but_one(action):
    return policy_json({"Effect": "Allow", "NotPrincipal": {"AWS": f"{ACCOUNT}:role/x"}, "Action": action, "Resource": "*"})


@pytest.mark.parametrize("rule,type_token,action", [
    ("ecr-repository-policy-no-wildcard-principal", REPOSITORY_POLICY, "ecr:BatchGetImage"),
    ("kms-key-policy-no-wildcard-principal", KEY, "kms:Decrypt"),
])
def test_allow_with_not_principal_grants_everyone_else(rule, type_token, action):
    inputs = changed(GOOD[type_token], "policy", _everyone_but_one(action))
    assert_outcome(run(resource(type_token, "subject", inputs)), rule, "fail")


@pytest.mark.parametrize("condition,expected", [
    ({"StringEquals": {"kms:CallerAccount": "000000000000"}}, "pass"),
    ({"StringLike": {"aws:PrincipalArn": "*"}}, "fail"),  # matches every caller
    ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-123"}}, "fail"),  # holds when the key is absent
    ({"Null": {"aws:PrincipalArn": "false"}}, "fail"),  # only says a key is present
])
def test_key_policy_conditions_must_constrain_a_wildcard_principal(condition, expected):
    policy = policy_json({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": condition})
    assert_outcome(run(resource(KEY, "k", changed(GOOD[KEY], "policy", policy))), "kms-key-policy-no-wildcard-principal",
                   expected)


# --- Trust policies --------------------------------------------------------------------------------

def _irsa_statement(action):
    return {"Effect": "Allow", "Principal": {"Federated": f"{ACCOUNT}:oidc-provider/{ISSUER}"}, "Action": action}


@pytest.mark.parametrize("action", ["sts:*", "*", "sts:AssumeRoleWith*", "STS:assumerolewithwebidentity"])
def test_web_identity_trust_granted_through_a_wildcard_or_other_case_is_judged(action):
    trust = policy_json(_irsa_statement(action))
    assert_outcome(run(resource(ROLE, "eso", {"assumeRolePolicy": trust})), "iam-irsa-trust-pinned", "fail")


def test_ci_trust_granted_through_a_wildcard_action_is_judged():
    statement = {"Effect": "Allow", "Principal": {"Federated": f"{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                 "Action": "sts:*"}
    assert_outcome(run(resource(ROLE, "ci", {"assumeRolePolicy": policy_json(statement)})), "iam-ci-oidc-trust-pinned", "fail")


def test_a_trust_statement_with_principal_star_is_read_not_crashed_on():
    trust = policy_json({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity"})
    assert_outcome(run(resource(ROLE, "any", {"assumeRolePolicy": trust})), "iam-irsa-trust-pinned", "fail")


def test_for_all_values_does_not_pin_the_subject():
    # ForAllValues holds when the key is absent from the request, so it pins nothing.
    trust = irsa_trust(operator="ForAllValues:StringEquals")
    assert_outcome(run(resource(ROLE, "eso", {"assumeRolePolicy": trust})), "iam-irsa-trust-pinned", "fail")


def test_pinned_trust_still_passes():
    assert_outcome(run(resource(ROLE, "eso", {"assumeRolePolicy": irsa_trust()})), "iam-irsa-trust-pinned", "pass")
    assert_outcome(run(resource(ROLE, "ci", {"assumeRolePolicy": ci_trust()})), "iam-ci-oidc-trust-pinned", "pass")


# --- S3 TLS-only --------------------------------------------------------------------------------

def _deny_http(**overrides):
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::platform-backups", "arn:aws:s3:::platform-backups/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    return policy_json({**statement, **overrides})


@pytest.mark.parametrize("policy,expected", [
    (_deny_http(), "pass"),
    (_deny_http(Resource="*"), "pass"),
    (_deny_http(Resource="arn:aws:s3:::platform-*"), "pass"),
    (_deny_http(Principal={"AWS": f"{ACCOUNT}:role/x"}), "fail"),  # everyone else may still use HTTP
    (_deny_http(Action="s3:GetObject"), "fail"),  # PutObject over HTTP still allowed
    (_deny_http(Resource="arn:aws:s3:::platform-backups"), "fail"),  # objects not covered
    (_deny_http(Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"]), "fail"),  # another bucket
])
def test_tls_only_statement_covers_everyone_every_action_and_this_bucket(policy, expected):
    assert_outcome(run(*bucket_plan({BUCKET_POLICY: ("policy", policy)})), "s3-tls-only", expected)


# --- Open ingress and public endpoints ---------------------------------------------------------------

@pytest.mark.parametrize("type_token,path,value", [
    (SG, "ingress.1.cidrBlocks", ["0::/0"]),  # another spelling of ::/0
    (SG, "ingress.1.ipv6CidrBlocks", ["::/0"]),
    (SG_RULE, "protocol", "all"),
    (INGRESS_RULE, "ipProtocol", -1),
])
def test_open_ingress_in_other_spellings(type_token, path, value):
    inputs = changed(GOOD[type_token], path, value)
    assert_outcome(run(resource(type_token, "subject", inputs)), "vpc-no-open-ingress", "fail")


def test_open_ingress_with_an_unknown_cidr_among_known_ones_cannot_be_verified():
    inputs = changed(GOOD[SG], "ingress.1.cidrBlocks", ["10.0.0.0/16", UNKNOWN])
    assert_outcome(run(resource(SG, "subject", inputs)), "vpc-no-open-ingress", "unknown")


@pytest.mark.parametrize("cidrs", [["0::/0"], ["0.0.0.0/00"]])
def test_public_endpoint_open_to_everyone_in_another_spelling(cidrs):
    inputs = changed(changed(GOOD_CHILD, "vpcConfig.endpointPublicAccess", True), "vpcConfig.publicAccessCidrs", cidrs)
    config = {"eks-public-endpoint-restricted": {"allowPublicEndpoint": True, "allowedPublicCidrs": ["::/0", "0.0.0.0/0"]}}
    assert_outcome(run(*child_plan(inputs), config=config), "eks-public-endpoint-restricted", "fail")


def test_public_endpoint_cidr_that_is_not_a_cidr_fails():
    inputs = changed(changed(GOOD_CHILD, "vpcConfig.endpointPublicAccess", True), "vpcConfig.publicAccessCidrs", ["office"])
    config = {"eks-public-endpoint-restricted": {"allowPublicEndpoint": True, "allowedPublicCidrs": ["203.0.113.0/24"]}}
    assert_outcome(run(*child_plan(inputs), config=config), "eks-public-endpoint-restricted", "fail")


# --- Nodes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("remote_access,expected", [
    ({}, "pass"),  # nothing configured: no key, so no SSH
    ({"sourceSecurityGroupIds": ["sg-1"]}, "pass"),  # no key pair installed, nothing to log in with
    ({"ec2SshKey": "ops"}, "fail"),
    ({"ec2SshKey": UNKNOWN}, "fail"),  # presence: a key will be there
    ({"ec2SshKey": "ops", "sourceSecurityGroupIds": [UNKNOWN]}, "fail"),
])
def test_node_group_remote_access_means_an_ssh_key(remote_access, expected):
    inputs = changed(GOOD[NODE_GROUP], "remoteAccess", remote_access)
    assert_outcome(run(resource(NODE_GROUP, "nodes", inputs)), "nodegroup-no-ssh", expected)


def test_launch_template_without_metadata_options_allows_imdsv1():
    assert_outcome(run(resource(LAUNCH_TEMPLATE, "lt", {})), "nodegroup-imdsv2-required", "fail")


# --- Log retention ----------------------------------------------------------------------------------

@pytest.mark.parametrize("days,expected", [(None, "pass"), (0, "pass"), (400, "pass"), (180, "fail")])
def test_never_expiring_logs_meet_any_minimum_retention(days, expected):
    # retentionInDays absent or 0 means "never expire": retained longer than any minimum (as CloudWatch.16 judges).
    inputs = {k: v for k, v in GOOD[LOG_GROUP].items() if k != "retentionInDays"}
    if days is not None:
        inputs["retentionInDays"] = days
    assert_outcome(run(resource(LOG_GROUP, "lg", inputs)), "cloudwatch-log-group-retention", expected)


# --- Kubernetes exposure and RBAC ------------------------------------------------------------------

@pytest.mark.parametrize("rules,expected", [
    ([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["*"]}], "fail"),
    ([{"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}], "fail"),
    ([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["*"]}], "fail"),  # impersonate
    ([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}], "pass"),  # no RBAC or identity resource
])
def test_escalation_verbs_granted_through_a_verb_wildcard(rules, expected):
    assert_outcome(run(resource(f"{RBAC}:Role", "r", {"rules": rules})), "k8s-rbac-no-escalation-verbs", expected)


def test_wildcard_in_non_resource_urls_is_a_wildcard():
    rules = [{"nonResourceURLs": ["*"], "verbs": ["get"]}]
    assert_outcome(run(resource(f"{RBAC}:ClusterRole", "r", {"rules": rules})), "k8s-rbac-no-wildcards", "fail")


@pytest.mark.parametrize("spec,expected", [
    ({"type": "ClusterIP", "externalIPs": ["198.51.100.7"]}, "fail"),
    ({"type": "ClusterIP", "externalIPs": UNKNOWN}, "fail"),  # presence: some address will be there
    ({"type": "ClusterIP", "externalIPs": []}, "pass"),
])
def test_cluster_ip_service_with_external_ips_is_exposed(spec, expected):
    svc = {"metadata": {"name": "frontend", "namespace": "app"}, "spec": spec}
    assert_outcome(run(resource(SERVICE, "frontend", svc)), "k8s-service-type-restricted", expected)


# --- Unknowns in stack rules -----------------------------------------------------------------------

def test_stack_rule_reading_an_unknown_reports_at_its_own_level():
    # An unknown chart name escapes the per-resource helpers; it must not fall to the SDK's advisory downgrade.
    cluster = resource("eks:index:Cluster", "c", {})
    release = resource(HELM_RELEASE, "kyverno", {"chart": UNKNOWN, "version": "3.3.4"})
    evaluation = run(cluster, release)
    found = evaluation.of("kyverno-policies-present")
    assert any("cannot verify at preview" in v.message and v.enforcement == "mandatory" for v in found), found


def test_an_unknown_inside_a_json_document_cannot_be_verified():
    # A document whose text embeds the unknown sentinel: the value there is not known, not a name.
    policy = policy_json({"Effect": "Allow", "Principal": {"AWS": UNKNOWN}, "Action": "kms:Decrypt", "Resource": "*"})
    evaluation = run(resource(KEY, "k", changed(GOOD[KEY], "policy", policy)))
    assert_outcome(evaluation, "kms-key-policy-no-wildcard-principal", "unknown")
