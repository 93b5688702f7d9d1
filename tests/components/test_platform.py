"""The AWS half of the platform under mocks: the security-relevant inputs each component registers."""
from __future__ import annotations

import json

import pulumi

from components.cluster import CONTROL_PLANE_LOG_TYPES, no_creator_admin
from components.keys import KEY_PURPOSES
from preflight.engine import run_program
from preflight.model import Plan, RecordedResource
from stack_variants import stack_variant

SETTINGS = {
    "dev": {"azs": 2, "nats": 1, "retention": 90, "account": "111111111111"},
    "prod": {"azs": 3, "nats": 3, "retention": 365, "account": "222222222222"},
}


def doc(resource: RecordedResource, field: str) -> dict:
    return json.loads(resource.inputs[field])


def statements(resource: RecordedResource, field: str = "policy") -> list[dict]:
    return doc(resource, field)["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_cluster_control_plane(plan: Plan):
    cluster = plan.one("eks:index:Cluster")
    inputs = cluster.inputs
    assert inputs["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES) == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert inputs["encryptionConfigKeyArn"] == plan.outputs["kmsKeyArns"]["secrets"]
    assert inputs["endpointPrivateAccess"] is True
    assert inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs
    assert inputs["createOidcProvider"] is True
    assert inputs["authenticationMode"] == "API"
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["deletionProtection"] is (plan.stack == "prod")


def test_cluster_creator_gets_no_hidden_admin_entry():
    # pulumi-eks builds its aws:eks/cluster:Cluster child with creator admin on; the transform
    # registered on the component turns it off (the child only exists in a real preview).
    props = {"name": "devsecops-prod", "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}}
    child = pulumi.ResourceTransformArgs(custom=True, type_="aws:eks/cluster:Cluster", name="cluster-eks-eksCluster", props=props, opts=pulumi.ResourceOptions())
    result = no_creator_admin(child)
    assert result.props["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert result.props["name"] == "devsecops-prod"
    other = pulumi.ResourceTransformArgs(custom=True, type_="aws:iam/role:Role", name="r", props={}, opts=pulumi.ResourceOptions())
    assert no_creator_admin(other) is None


def test_cluster_access_entries_come_from_config(plan: Plan):
    entries = plan.one("eks:index:Cluster").inputs["accessEntries"]
    by_principal = {e["principalArn"]: [p["policyArn"].rsplit("/", 1)[1] for p in e["accessPolicies"].values()] for e in entries.values()}
    account = SETTINGS[plan.stack]["account"]
    assert by_principal[f"arn:aws:iam::{account}:role/platform-deployer"] == ["AmazonEKSClusterAdminPolicy"]
    assert sorted(sum(by_principal.values(), [])) == ["AmazonEKSClusterAdminPolicy", "AmazonEKSViewPolicy"]


def test_control_plane_log_group_is_created_first_with_retention_and_kms(plan: Plan):
    log_group = plan.one("aws:cloudwatch/logGroup:LogGroup", "cluster-control-plane-logs")
    cluster = plan.one("eks:index:Cluster")
    assert log_group.urn in cluster.dependencies
    assert plan.resources.index(log_group) < plan.resources.index(cluster)
    assert log_group.inputs["name"] == f"/aws/eks/{cluster.inputs['name']}/cluster"
    assert log_group.inputs["retentionInDays"] == SETTINGS[plan.stack]["retention"]
    assert log_group.inputs["kmsKeyId"] == plan.outputs["kmsKeyArns"]["logs"]


def test_node_group_is_private_with_imdsv2_and_encrypted_volumes(plan: Plan):
    group = plan.one("aws:eks/nodeGroup:NodeGroup")
    template = plan.one("aws:ec2/launchTemplate:LaunchTemplate")
    private_ids = {s for s in _subnet_ids(plan, "private")}
    assert set(group.inputs["subnetIds"]) == private_ids
    assert "remoteAccess" not in group.inputs
    assert group.inputs["launchTemplate"]["id"] == template.id
    metadata = template.inputs["metadataOptions"]
    assert metadata["httpTokens"] == "required"
    assert metadata["httpPutResponseHopLimit"] == 1
    [volume] = template.inputs["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] == "true"
    assert volume["ebs"]["kmsKeyId"] == plan.outputs["kmsKeyArns"]["ebs"]


def test_addons_include_network_policy_enforcing_vpc_cni_and_ebs_csi_with_irsa(plan: Plan):
    addons = {a.inputs["addonName"]: a for a in plan.by_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    ebs_role = plan.one("aws:iam/role:Role", "cluster-ebs-csi-irsa")
    assert addons["aws-ebs-csi-driver"].inputs["serviceAccountRoleArn"].endswith(f":role/{ebs_role.inputs['name']}")
    [trust] = statements(ebs_role, "assumeRolePolicy")
    conditions = trust["Condition"]["StringEquals"]
    assert [v for k, v in conditions.items() if k.endswith(":sub")] == ["system:serviceaccount:kube-system:ebs-csi-controller-sa"]
    assert [v for k, v in conditions.items() if k.endswith(":aud")] == ["sts.amazonaws.com"]
    node_group = plan.one("aws:eks/nodeGroup:NodeGroup")
    assert addons["vpc-cni"].urn in node_group.dependencies, "nodes need the CNI before they become Ready"
    assert node_group.urn in addons["coredns"].dependencies


def test_encrypted_gp3_storage_class_uses_the_cluster_provider(plan: Plan):
    storage = plan.one("kubernetes:storage.k8s.io/v1:StorageClass")
    provider = plan.one("pulumi:providers:kubernetes")
    assert storage.provider.startswith(provider.urn + "::")
    assert storage.inputs["parameters"] == {
        "type": "gp3", "encrypted": "true", "kmsKeyId": plan.outputs["kmsKeyArns"]["ebs"], "fsType": "ext4",
    }
    assert storage.inputs["reclaimPolicy"] == "Retain"
    assert json.loads(provider.inputs["kubeconfig"])["clusters"][0]["name"] == plan.outputs["clusterName"]


def test_every_kubernetes_resource_uses_the_cluster_provider(plan: Plan):
    provider = plan.one("pulumi:providers:kubernetes")
    kubernetes = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert kubernetes
    assert all(r.provider and r.provider.startswith(provider.urn + "::") for r in kubernetes)


def test_network_spans_the_configured_azs_with_nat_and_flow_logs(plan: Plan):
    expected = SETTINGS[plan.stack]
    private = [s for s in plan.by_type("aws:ec2/subnet:Subnet") if "-private-" in s.name]
    public = [s for s in plan.by_type("aws:ec2/subnet:Subnet") if "-public-" in s.name]
    assert len({s.inputs["availabilityZone"] for s in private}) == expected["azs"] == len(public)
    assert len(plan.by_type("aws:ec2/natGateway:NatGateway")) == expected["nats"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in private + public)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["tags"][f"kubernetes.io/cluster/{plan.outputs['clusterName']}"] == "shared" for s in private + public)
    flow_log = plan.one("aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["trafficType"] == "ALL"
    group = plan.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group.inputs["retentionInDays"] == expected["retention"]
    assert group.inputs["kmsKeyId"] == plan.outputs["kmsKeyArns"]["logs"]


def test_ecr_repositories_are_immutable_scanned_encrypted_with_lifecycle_and_named_principals(plan: Plan):
    repositories = plan.by_type("aws:ecr/repository:Repository")
    assert {r.inputs["name"] for r in repositories} == set(plan.outputs["ecrRepositoryNames"].values())
    ci_role_arn = plan.outputs["ciRoleArn"]
    node_role = plan.one("aws:iam/role:Role", "cluster-node-role")
    for repo in repositories:
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": plan.outputs["kmsKeyArns"]["ecr"]}]
        [lifecycle] = [p for p in plan.by_type("aws:ecr/lifecyclePolicy:LifecyclePolicy") if p.inputs["repository"] == repo.inputs["name"]]
        assert [rule["action"]["type"] for rule in doc(lifecycle, "policy")["rules"]] == ["expire", "expire"]
        [policy] = [p for p in plan.by_type("aws:ecr/repositoryPolicy:RepositoryPolicy") if p.inputs["repository"] == repo.inputs["name"]]
        principals = {s["Sid"]: as_list(s["Principal"]["AWS"]) for s in statements(policy)}
        assert principals == {"CiPushes": [ci_role_arn], "NodesPull": [f"arn:aws:iam::{SETTINGS[plan.stack]['account']}:role/{node_role.inputs['name']}"]}
        assert "*" not in json.dumps(principals)


def test_every_symmetric_key_rotates_and_the_signing_key_is_p256(plan: Plan):
    keys = plan.by_type("aws:kms/key:Key")
    symmetric = [k for k in keys if k.inputs["keyUsage"] == "ENCRYPT_DECRYPT"]
    assert len(symmetric) == len(KEY_PURPOSES)
    for key in symmetric:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
        principals = [s["Principal"] for s in statements(key)]
        assert "*" not in [p.get("AWS") for p in principals]
    [signing] = [k for k in keys if k.inputs["keyUsage"] == "SIGN_VERIFY"]
    assert signing.inputs["customerMasterKeySpec"] == "ECC_NIST_P256"
    assert plan.outputs["signingPublicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert plan.outputs["signingKeyArn"] not in plan.outputs["kmsKeyArns"].values()


def test_ci_role_trust_is_pinned_to_repository_and_branch_and_permissions_to_named_arns(plan: Plan):
    role = plan.one("aws:iam/role:Role", "ci-role")
    [trust] = statements(role, "assumeRolePolicy")
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:example-org/devsecops-platform:ref:refs/heads/main",
    }}
    oidc = plan.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == "https://token.actions.githubusercontent.com"
    policy = plan.one("aws:iam/rolePolicy:RolePolicy", "ci-permissions")
    by_sid = {s["Sid"]: s for s in statements(policy)}
    account, region = SETTINGS[plan.stack]["account"], plan.outputs["region"]
    repo_arns = [f"arn:aws:ecr:{region}:{account}:repository/{n}" for n in plan.outputs["ecrRepositoryNames"].values()]
    assert by_sid["PushAppImages"]["Resource"] == repo_arns
    assert by_sid["CosignSign"]["Resource"] == plan.outputs["signingKeyArn"]
    assert by_sid["RegistryLogin"] == {"Sid": "RegistryLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"}
    assert set(by_sid) == {"RegistryLogin", "PushAppImages", "CosignSign"}


def test_children_are_parented_to_their_components(plan: Plan):
    components = {r.urn for r in plan.resources if r.type.startswith("devsecops:")}
    custom = [r for r in plan.resources if r.custom]
    assert custom and all(r.parent in components for r in custom)


def test_azure_devops_workload_identity_trust(tmp_path):
    org = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    path = stack_variant(tmp_path, changes={
        "ciProvider": "azure-devops", "ciAzureDevOpsOrganizationId": org,
        "ciAzureDevOpsServiceConnection": "example-org/platform/aws-images",
    })
    plan = run_program(stack_file=path)
    [trust] = statements(plan.one("aws:iam/role:Role", "ci-role"), "assumeRolePolicy")
    assert trust["Condition"]["StringEquals"] == {
        f"vstoken.dev.azure.com/{org}:aud": "api://AzureADTokenExchange",
        f"vstoken.dev.azure.com/{org}:sub": "sc://example-org/platform/aws-images",
    }


def test_existing_ci_oidc_provider_is_reused(tmp_path):
    existing = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    plan = run_program(stack_file=stack_variant(tmp_path, changes={"ciOidcProviderArn": existing}))
    assert plan.by_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    [trust] = statements(plan.one("aws:iam/role:Role", "ci-role"), "assumeRolePolicy")
    assert trust["Principal"] == {"Federated": existing}


def _subnet_ids(plan: Plan, kind: str) -> list[str]:
    return [s.id for s in plan.by_type("aws:ec2/subnet:Subnet") if f"-{kind}-" in s.name]
