"""Single-resource AWS rules: log groups, ECR, KMS, IAM, security groups, addons."""
import pytest

from policy_plans import DELETE, UNKNOWN, DEV, assert_outcome, changed, policy_json, resource, run

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"

ACCOUNT = "arn:aws:iam::000000000000"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
GITHUB = "token.actions.githubusercontent.com"

GOOD = {
    LOG_GROUP: {"name": "/aws/eks/platform/cluster", "kmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/logs",
                "retentionInDays": 365},
    REPOSITORY: {"name": "backend", "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True},
                 "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:us-east-1:000000000000:key/ecr"}]},
    REPOSITORY_POLICY: {"repository": "backend", "policy": policy_json(
        {"Sid": "CiPush", "Effect": "Allow", "Principal": {"AWS": f"{ACCOUNT}:role/ci"}, "Action": ["ecr:PutImage"]})},
    KEY: {"enableKeyRotation": True, "deletionWindowInDays": 30, "policy": policy_json(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Logs", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": "000000000000"}}})},
    ROLE_POLICY: {"role": "ci", "policy": policy_json(
        {"Effect": "Allow", "Action": ["ecr:PutImage", "ecr:GetAuthorizationToken"], "Resource": "*"})},
    ATTACHMENT: {"role": "nodes", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
    SG: {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
                     {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]}]},
    SG_RULE: {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
    INGRESS_RULE: {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv6": "::/0"},
    ADDON: {"addonName": "aws-ebs-csi-driver", "serviceAccountRoleArn": f"{ACCOUNT}:role/ebs-csi"},
    NODE_GROUP: {"subnetIds": ["subnet-1"]},
    LAUNCH_TEMPLATE: {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1}},
}


def irsa_trust(sub="system:serviceaccount:external-secrets:eso", aud="sts.amazonaws.com", operator="StringEquals"):
    condition = {operator: {f"{ISSUER}:sub": sub}}
    if aud is not None:
        condition.setdefault("StringEquals", {})[f"{ISSUER}:aud"] = aud
    return policy_json({"Effect": "Allow", "Principal": {"Federated": f"{ACCOUNT}:oidc-provider/{ISSUER}"},
                        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})


def ci_trust(sub="repo:example/platform:ref:refs/heads/main", aud="sts.amazonaws.com"):
    condition = {"StringLike": {f"{GITHUB}:sub": sub}}
    if aud is not None:
        condition["StringEquals"] = {f"{GITHUB}:aud": aud}
    return policy_json({"Effect": "Allow", "Principal": {"Federated": f"{ACCOUNT}:oidc-provider/{GITHUB}"},
                        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})


WILDCARD_ACTION = policy_json({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"})
ADMIN = policy_json({"Effect": "Allow", "Action": "*", "Resource": "*"})

CASES = [
    # rule, type, path, value, expected
    ("cloudwatch-log-group-kms", LOG_GROUP, None, None, "pass"),
    ("cloudwatch-log-group-kms", LOG_GROUP, "kmsKeyId", DELETE, "fail"),
    ("cloudwatch-log-group-kms", LOG_GROUP, "kmsKeyId", UNKNOWN, "pass"),
    ("cloudwatch-log-group-retention", LOG_GROUP, None, None, "pass"),
    ("cloudwatch-log-group-retention", LOG_GROUP, "retentionInDays", 90, "fail"),
    ("cloudwatch-log-group-retention", LOG_GROUP, "retentionInDays", DELETE, "pass"),  # never expires
    ("cloudwatch-log-group-retention", LOG_GROUP, "retentionInDays", UNKNOWN, "unknown"),
    ("ecr-immutable-tags", REPOSITORY, None, None, "pass"),
    ("ecr-immutable-tags", REPOSITORY, "imageTagMutability", "MUTABLE", "fail"),
    ("ecr-immutable-tags", REPOSITORY, "imageTagMutability", UNKNOWN, "unknown"),
    ("ecr-scan-on-push", REPOSITORY, None, None, "pass"),
    ("ecr-scan-on-push", REPOSITORY, "imageScanningConfiguration.scanOnPush", False, "fail"),
    ("ecr-scan-on-push", REPOSITORY, "imageScanningConfiguration", UNKNOWN, "unknown"),
    ("ecr-kms-encryption", REPOSITORY, None, None, "pass"),
    ("ecr-kms-encryption", REPOSITORY, "encryptionConfigurations", DELETE, "fail"),
    ("ecr-kms-encryption", REPOSITORY, "encryptionConfigurations.0.kmsKey", DELETE, "fail"),
    ("ecr-kms-encryption", REPOSITORY, "encryptionConfigurations.0.kmsKey", UNKNOWN, "pass"),
    ("ecr-kms-encryption", REPOSITORY, "encryptionConfigurations.0.encryptionType", UNKNOWN, "unknown"),
    ("ecr-repository-policy-no-wildcard-principal", REPOSITORY_POLICY, None, None, "pass"),
    ("ecr-repository-policy-no-wildcard-principal", REPOSITORY_POLICY, "policy",
     policy_json({"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}), "fail"),
    ("ecr-repository-policy-no-wildcard-principal", REPOSITORY_POLICY, "policy",
     policy_json({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "ecr:BatchGetImage"}), "fail"),
    ("ecr-repository-policy-no-wildcard-principal", REPOSITORY_POLICY, "policy", UNKNOWN, "unknown"),
    ("kms-key-rotation", KEY, None, None, "pass"),
    ("kms-key-rotation", KEY, "enableKeyRotation", False, "fail"),
    ("kms-key-rotation", KEY, "enableKeyRotation", UNKNOWN, "unknown"),
    ("kms-no-lockout-bypass", KEY, None, None, "pass"),
    ("kms-no-lockout-bypass", KEY, "bypassPolicyLockoutSafetyCheck", True, "fail"),
    ("kms-no-lockout-bypass", KEY, "bypassPolicyLockoutSafetyCheck", UNKNOWN, "unknown"),
    ("kms-key-policy-no-wildcard-principal", KEY, None, None, "pass"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy", DELETE, "fail"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy",
     policy_json({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}), "fail"),
    ("kms-key-policy-no-wildcard-principal", KEY, "policy", UNKNOWN, "unknown"),
    ("kms-deletion-window", KEY, None, None, "pass"),
    ("kms-deletion-window", KEY, "deletionWindowInDays", DELETE, "pass"),  # AWS default is 30
    ("kms-deletion-window", KEY, "deletionWindowInDays", 7, "fail"),
    ("kms-deletion-window", KEY, "deletionWindowInDays", UNKNOWN, "unknown"),
    ("iam-no-wildcard-action", ROLE_POLICY, None, None, "pass"),
    ("iam-no-wildcard-action", ROLE_POLICY, "policy", WILDCARD_ACTION, "fail"),
    ("iam-no-wildcard-action", ROLE_POLICY, "policy",
     policy_json({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "fail"),
    ("iam-no-wildcard-action", ROLE_POLICY, "policy", UNKNOWN, "unknown"),
    ("iam-no-admin-policy", ROLE_POLICY, None, None, "pass"),
    ("iam-no-admin-policy", ROLE_POLICY, "policy", ADMIN, "fail"),
    ("iam-no-admin-policy", ROLE_POLICY, "policy", UNKNOWN, "unknown"),
    ("iam-no-admin-policy", ATTACHMENT, None, None, "pass"),
    ("iam-no-admin-policy", ATTACHMENT, "policyArn", "arn:aws:iam::aws:policy/AdministratorAccess", "fail"),
    ("iam-no-admin-policy", ATTACHMENT, "policyArn", UNKNOWN, "unknown"),
    ("vpc-no-open-ingress", SG, None, None, "pass"),
    ("vpc-no-open-ingress", SG, "ingress.1.cidrBlocks", ["0.0.0.0/0"], "fail"),
    ("vpc-no-open-ingress", SG, "ingress.0.protocol", "-1", "fail"),
    ("vpc-no-open-ingress", SG, "ingress.1.cidrBlocks", UNKNOWN, "unknown"),
    ("vpc-no-open-ingress", SG_RULE, None, None, "pass"),
    ("vpc-no-open-ingress", SG_RULE, "toPort", 8443, "fail"),
    ("vpc-no-open-ingress", SG_RULE, "type", "egress", "pass"),
    ("vpc-no-open-ingress", INGRESS_RULE, None, None, "pass"),
    ("vpc-no-open-ingress", INGRESS_RULE, "fromPort", 22, "fail"),
    ("vpc-no-open-ingress", INGRESS_RULE, "cidrIpv6", UNKNOWN, "unknown"),
    ("eks-ebs-csi-irsa", ADDON, None, None, "pass"),
    ("eks-ebs-csi-irsa", ADDON, "serviceAccountRoleArn", DELETE, "fail"),
    ("eks-ebs-csi-irsa", ADDON, "serviceAccountRoleArn", UNKNOWN, "pass"),
    ("eks-ebs-csi-irsa", ADDON, "addonName", UNKNOWN, "unknown"),
    ("nodegroup-no-ssh", NODE_GROUP, None, None, "pass"),
    ("nodegroup-no-ssh", NODE_GROUP, "remoteAccess", {"ec2SshKey": "ops"}, "fail"),
    ("nodegroup-no-ssh", NODE_GROUP, "remoteAccess", UNKNOWN, "fail"),  # presence: something is set
    ("nodegroup-no-ssh", LAUNCH_TEMPLATE, "keyName", "ops", "fail"),
]


@pytest.mark.parametrize("rule,type_token,path,value,expected", CASES)
def test_resource_rule(rule, type_token, path, value, expected):
    inputs = changed(GOOD[type_token], path, value) if path else GOOD[type_token]
    assert_outcome(run(resource(type_token, "subject", inputs)), rule, expected)


SIGNING_KEY = {"keyUsage": "SIGN_VERIFY", "customerMasterKeySpec": "ECC_NIST_P256", "enableKeyRotation": False}


def test_signing_key_is_exempt_from_rotation_explicitly():
    evaluation = run(resource(KEY, "cosign", changed(GOOD[KEY], "keyUsage", "SIGN_VERIFY") | SIGNING_KEY))
    assert evaluation.of("kms-key-rotation") == ()
    assert [n.reason for n in evaluation.not_applicable if n.policy == "kms-key-rotation"] == [
        "ECC_NIST_P256 SIGN_VERIFY keys cannot rotate automatically"]


@pytest.mark.parametrize("trust,expected", [
    (irsa_trust(), "pass"),
    (irsa_trust(sub="system:serviceaccount:external-secrets:*", operator="StringLike"), "fail"),
    (irsa_trust(aud=None), "fail"),
    (irsa_trust(sub=["system:serviceaccount:a:x", "system:serviceaccount:b:y"]), "fail"),
    (UNKNOWN, "unknown"),
])
def test_irsa_trust_is_pinned_to_one_service_account(trust, expected):
    assert_outcome(run(resource(ROLE, "eso", {"assumeRolePolicy": trust})), "iam-irsa-trust-pinned", expected)


@pytest.mark.parametrize("trust,expected", [
    (ci_trust(), "pass"),
    (ci_trust(sub="repo:example/*"), "fail"),
    (ci_trust(sub="*"), "fail"),
    (ci_trust(aud=None), "fail"),
    (UNKNOWN, "unknown"),
])
def test_ci_trust_is_pinned_to_one_repository(trust, expected):
    assert_outcome(run(resource(ROLE, "ci", {"assumeRolePolicy": trust})), "iam-ci-oidc-trust-pinned", expected)


def test_ci_trust_is_not_judged_as_irsa_and_the_reverse():
    assert_outcome(run(resource(ROLE, "ci", {"assumeRolePolicy": ci_trust()})), "iam-irsa-trust-pinned", "pass")
    assert_outcome(run(resource(ROLE, "eso", {"assumeRolePolicy": irsa_trust()})), "iam-ci-oidc-trust-pinned", "pass")


def test_inline_role_policies_are_checked_and_managed_admin_policies_refused():
    role = {"assumeRolePolicy": ci_trust(), "inlinePolicies": [{"name": "x", "policy": WILDCARD_ACTION}],
            "managedPolicyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"]}
    evaluation = run(resource(ROLE, "ci", role))
    assert_outcome(evaluation, "iam-no-wildcard-action", "fail")
    assert_outcome(evaluation, "iam-no-admin-policy", "fail")


def test_retention_minimum_comes_from_the_environment_config():
    group = resource(LOG_GROUP, "lg", changed(GOOD[LOG_GROUP], "retentionInDays", 30))
    assert_outcome(run(group, config=DEV), "cloudwatch-log-group-retention", "pass")
    assert_outcome(run(group), "cloudwatch-log-group-retention", "fail")
