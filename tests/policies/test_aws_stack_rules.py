"""AWS rules that relate resources: node groups and their subnets and templates, ECR, S3, VPC, vpc-cni."""
import json

import pytest

from policy_plans import DELETE, UNKNOWN, assert_outcome, changed, policy_json, resource, run

SUBNET = "aws:ec2/subnet:Subnet"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ADDON = "aws:eks/addon:Addon"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

PRIVATE_SUBNET = {"mapPublicIpOnLaunch": False, "tags": {"kubernetes.io/role/internal-elb": "1"}}
TEMPLATE = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1, "httpEndpoint": "enabled"},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": "arn:key", "volumeType": "gp3"}}],
}


def node_plan(subnet=PRIVATE_SUBNET, template=TEMPLATE, with_template=True):
    subnet_r = resource(SUBNET, "private-a", subnet)
    resources = [subnet_r]
    deps = {"subnetIds": [subnet_r]}
    if with_template:
        lt = resource(LAUNCH_TEMPLATE, "nodes", template)
        resources.append(lt)
        deps["launchTemplate"] = [lt]
    resources.append(resource(NODE_GROUP, "nodes", {"subnetIds": ["subnet-1"], "launchTemplate": {"id": "lt-1", "version": "1"}},
                              deps=deps))
    return resources


@pytest.mark.parametrize("rule,subnet,template,with_template,expected", [
    ("nodegroup-private-subnets", PRIVATE_SUBNET, TEMPLATE, True, "pass"),
    ("nodegroup-private-subnets", changed(PRIVATE_SUBNET, "mapPublicIpOnLaunch", True), TEMPLATE, True, "fail"),
    ("nodegroup-private-subnets", {"tags": {"kubernetes.io/role/elb": "1"}}, TEMPLATE, True, "fail"),
    ("nodegroup-private-subnets", changed(PRIVATE_SUBNET, "mapPublicIpOnLaunch", UNKNOWN), TEMPLATE, True, "unknown"),
    ("nodegroup-imdsv2-required", PRIVATE_SUBNET, TEMPLATE, True, "pass"),
    ("nodegroup-imdsv2-required", PRIVATE_SUBNET, changed(TEMPLATE, "metadataOptions.httpTokens", "optional"), True, "fail"),
    ("nodegroup-imdsv2-required", PRIVATE_SUBNET, changed(TEMPLATE, "metadataOptions.httpPutResponseHopLimit", 2), True, "fail"),
    ("nodegroup-imdsv2-required", PRIVATE_SUBNET, changed(TEMPLATE, "metadataOptions.httpPutResponseHopLimit", DELETE), True, "fail"),
    ("nodegroup-imdsv2-required", PRIVATE_SUBNET, changed(TEMPLATE, "metadataOptions.httpTokens", UNKNOWN), True, "unknown"),
    ("nodegroup-imdsv2-required", PRIVATE_SUBNET, TEMPLATE, False, "fail"),
    ("nodegroup-volumes-encrypted", PRIVATE_SUBNET, TEMPLATE, True, "pass"),
    ("nodegroup-volumes-encrypted", PRIVATE_SUBNET, changed(TEMPLATE, "blockDeviceMappings.0.ebs.encrypted", "false"), True, "fail"),
    ("nodegroup-volumes-encrypted", PRIVATE_SUBNET, changed(TEMPLATE, "blockDeviceMappings", DELETE), True, "fail"),
    ("nodegroup-volumes-encrypted", PRIVATE_SUBNET, changed(TEMPLATE, "blockDeviceMappings.0.ebs.encrypted", UNKNOWN), True, "unknown"),
    ("nodegroup-volumes-encrypted", PRIVATE_SUBNET, TEMPLATE, False, "fail"),
])
def test_node_rules(rule, subnet, template, with_template, expected):
    assert_outcome(run(*node_plan(subnet, template, with_template)), rule, expected)


def test_node_group_in_subnets_the_stack_does_not_own_cannot_be_shown_private():
    evaluation = run(resource(NODE_GROUP, "nodes", {"subnetIds": ["subnet-0123"]}))
    assert_outcome(evaluation, "nodegroup-private-subnets", "fail")


def test_pulumi_eks_default_node_group_with_public_ips_fails():
    cluster = {"skipDefaultNodeGroup": False}
    assert_outcome(run(resource("eks:index:Cluster", "c", cluster)), "nodegroup-private-subnets", "fail")
    cluster = {"skipDefaultNodeGroup": True}
    assert_outcome(run(resource("eks:index:Cluster", "c", cluster)), "nodegroup-private-subnets", "pass")


@pytest.mark.parametrize("link,expected", [("dependency", "pass"), ("name", "pass"), ("none", "fail"), ("unknown", "unknown")])
def test_ecr_lifecycle_policy_is_related_to_its_repository(link, expected):
    repo = resource(REPOSITORY, "backend", {"name": "backend"})
    policy = json.dumps({"rules": []})
    if link == "dependency":
        lifecycle = resource(LIFECYCLE, "backend", {"repository": "backend", "policy": policy}, deps={"repository": [repo]})
    elif link == "name":
        lifecycle = resource(LIFECYCLE, "backend", {"repository": "backend", "policy": policy})
    elif link == "unknown":
        repo = resource(REPOSITORY, "backend", {"name": UNKNOWN})
        lifecycle = resource(LIFECYCLE, "backend", {"repository": "other", "policy": policy})
    else:
        lifecycle = resource(LIFECYCLE, "frontend", {"repository": "frontend", "policy": policy})
    assert_outcome(run(repo, lifecycle), "ecr-lifecycle-policy", expected)


TLS_ONLY = policy_json({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::platform-backups", "arn:aws:s3:::platform-backups/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
COMPANIONS = {
    PAB: {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True},
    SSE: {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "arn:key"}}]},
    VERSIONING: {"versioningConfiguration": {"status": "Enabled"}},
    BUCKET_POLICY: {"policy": TLS_ONLY},
}


def bucket_plan(overrides=None, omit=()):
    bucket = resource(BUCKET, "backups", {"bucket": "platform-backups"})
    resources = [bucket]
    for type_token, inputs in COMPANIONS.items():
        if type_token in omit:
            continue
        path, value = (overrides or {}).get(type_token, (None, None))
        body = changed(inputs, path, value) if path else inputs
        resources.append(resource(type_token, f"backups-{type_token.rsplit(':', 1)[1]}",
                                  {"bucket": "platform-backups", **body}, deps={"bucket": [bucket]}))
    return resources


@pytest.mark.parametrize("rule,companion,path,value,expected", [
    ("s3-public-access-block", PAB, None, None, "pass"),
    ("s3-public-access-block", PAB, "restrictPublicBuckets", False, "fail"),
    ("s3-public-access-block", PAB, "blockPublicPolicy", UNKNOWN, "unknown"),
    ("s3-encryption-kms", SSE, None, None, "pass"),
    ("s3-encryption-kms", SSE, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "AES256", "fail"),
    ("s3-encryption-kms", SSE, "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", UNKNOWN, "pass"),
    ("s3-encryption-kms", SSE, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", UNKNOWN, "unknown"),
    ("s3-versioning", VERSIONING, None, None, "pass"),
    ("s3-versioning", VERSIONING, "versioningConfiguration.status", "Suspended", "fail"),
    ("s3-versioning", VERSIONING, "versioningConfiguration.status", UNKNOWN, "unknown"),
    ("s3-tls-only", BUCKET_POLICY, None, None, "pass"),
    ("s3-tls-only", BUCKET_POLICY, "policy", policy_json({"Effect": "Allow", "Principal": {"AWS": "arn:role"}, "Action": "s3:GetObject"}), "fail"),
    ("s3-tls-only", BUCKET_POLICY, "policy", UNKNOWN, "unknown"),
])
def test_s3_rules(rule, companion, path, value, expected):
    assert_outcome(run(*bucket_plan({companion: (path, value)})), rule, expected)


@pytest.mark.parametrize("rule,companion", [
    ("s3-public-access-block", PAB), ("s3-encryption-kms", SSE), ("s3-versioning", VERSIONING), ("s3-tls-only", BUCKET_POLICY)])
def test_s3_bucket_without_its_companion_fails(rule, companion):
    assert_outcome(run(*bucket_plan(omit=(companion,))), rule, "fail")


def test_s3_companion_of_another_bucket_does_not_count():
    other = resource(BUCKET, "other", {"bucket": "other"})
    evaluation = run(other, *bucket_plan())
    assert [v.urn for v in evaluation.of("s3-versioning")] == [other.urn]


@pytest.mark.parametrize("traffic,linked,expected", [("ALL", True, "pass"), ("REJECT", True, "fail"), ("ALL", False, "fail"),
                                                     (UNKNOWN, True, "unknown")])
def test_vpc_flow_logs(traffic, linked, expected):
    vpc = resource(VPC, "main", {"cidrBlock": "10.0.0.0/16"})
    log = resource(FLOW_LOG, "main", {"vpcId": "vpc-1", "trafficType": traffic}, deps={"vpcId": [vpc] if linked else []})
    assert_outcome(run(vpc, log), "vpc-flow-logs-enabled", expected)


@pytest.mark.parametrize("configuration,expected", [
    ('{"enableNetworkPolicy":"true"}', "pass"),
    ('{"enableNetworkPolicy":"false"}', "fail"),
    (None, "fail"),
    (UNKNOWN, "unknown"),
])
def test_vpc_cni_enforces_network_policies(configuration, expected):
    addon = {"addonName": "vpc-cni"}
    if configuration is not None:
        addon["configurationValues"] = configuration
    policy = resource(NETWORK_POLICY, "deny", {"metadata": {"namespace": "app"}, "spec": {"podSelector": {}}})
    assert_outcome(run(resource(ADDON, "vpc-cni", addon), policy), "eks-vpc-cni-network-policy", expected)


def test_vpc_cni_rule_is_silent_without_network_policies():
    assert_outcome(run(resource(ADDON, "vpc-cni", {"addonName": "vpc-cni"})), "eks-vpc-cni-network-policy", "pass")
