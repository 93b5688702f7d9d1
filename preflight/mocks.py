"""Answers the program's resource registrations and invokes with plausible values, offline.

Every computed output a later resource reads (ARNs, ids, URLs, the kubeconfig) gets a value of
the right shape, so dependent resources register just as they would after a real `pulumi up`.
Values are derived from the resource's type and name, so two runs give identical plans.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi

# A real P-256 public key in PEM form, so code that parses the signing key's public key works.
MOCK_SIGNING_PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEga3sStdNN5fJSTbANwPqkIBqx37z\n"
    "L/xAFBwjgaONx0YRWNfdq2Glaql0JdViUSuzmo/JREHDRZdzdyZcK4Ahwg==\n"
    "-----END PUBLIC KEY-----\n"
)

# Id prefixes AWS uses, so ids look like the real thing in plans and reports.
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/flowLog:FlowLog": "fl-",
}

# ARN layout per type: (service, resource path template). "{name}" is the physical name.
_ARN_LAYOUT = {
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:kms/alias:Alias": ("kms", "alias/{name}"),
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "oidc-provider/{url}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:ecr/repository:Repository": ("ecr", "repository/{name}"),
    "aws:eks/nodeGroup:NodeGroup": ("eks", "nodegroup/{name}"),
    "aws:eks/addon:Addon": ("eks", "addon/{name}"),
    "aws:ec2/vpc:Vpc": ("ec2", "vpc/{id}"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet/{id}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}"),
}

_GLOBAL_SERVICES = {"iam"}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class PlatformMocks(pulumi.runtime.Mocks):
    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    def _arn(self, service: str, path: str) -> str:
        region = "" if service in _GLOBAL_SERVICES else self.region
        return f"arn:aws:{service}:{region}:{self.account_id}:{path}"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state: dict[str, Any] = dict(args.inputs)
        resource_id = _ID_PREFIXES.get(args.typ, "") + _digest(args.typ, args.name)
        physical_name = state.get("name") or f"{args.name}-{_digest(args.name, length=7)}"
        if args.typ.startswith("aws:") and "name" not in state and not args.typ.startswith("aws:s3"):
            state["name"] = physical_name
        layout = _ARN_LAYOUT.get(args.typ)
        if layout:
            service, template = layout
            url = str(state.get("url", "")).removeprefix("https://")
            state["arn"] = self._arn(service, template.format(id=resource_id, name=physical_name, url=url))
        state.update(self._computed(args.typ, args.name, state, resource_id))
        return resource_id, state

    def _computed(self, typ: str, name: str, state: dict[str, Any], resource_id: str) -> dict[str, Any]:
        if typ == "aws:kms/key:Key":
            return {"keyId": resource_id}
        if typ == "aws:ecr/repository:Repository":
            host = f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com"
            return {"repositoryUrl": f"{host}/{state['name']}", "registryId": self.account_id}
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            return {"latestVersion": 1, "defaultVersion": 1}
        if typ.startswith("aws:s3/bucket"):
            bucket = state.get("bucket") or f"{name}-{_digest(name, length=7)}"
            return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
        if typ == "eks:index:Cluster":
            return self._cluster_outputs(state)
        if typ == "random:index/randomPassword:RandomPassword":
            length = int(state.get("length", 32))
            return {"result": ("x" * length)}
        if typ == "aws:ec2/securityGroup:SecurityGroup":
            return {"id": resource_id}
        return {}

    def _cluster_outputs(self, state: dict[str, Any]) -> dict[str, Any]:
        cluster_name = state.get("name", "cluster")
        issuer_host = f"oidc.eks.{self.region}.amazonaws.com/id/{_digest(cluster_name, length=32).upper()}"
        endpoint = f"https://{_digest(cluster_name, 'endpoint', length=32).upper()}.gr7.{self.region}.eks.amazonaws.com"
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": "TU9DSw=="}}],
            "contexts": [{"name": "aws", "context": {"cluster": cluster_name, "user": "aws"}}],
            "current-context": "aws",
            "users": [{"name": "aws", "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", self.region],
            }}}],
        }
        return {
            "kubeconfig": kubeconfig,
            "kubeconfigJson": json.dumps(kubeconfig),
            "oidcProviderArn": self._arn("iam", f"oidc-provider/{issuer_host}"),
            "oidcProviderUrl": issuer_host,
            "oidcIssuer": issuer_host,
            "clusterSecurityGroupId": "sg-" + _digest(cluster_name, "cluster-sg"),
            "nodeSecurityGroupId": "sg-" + _digest(cluster_name, "node-sg"),
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account_id, "arn": self._arn("iam", "user/offline"), "userId": "OFFLINE", "id": self.account_id}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            suffixes = "abcdef"
            return {
                "names": [f"{self.region}{s}" for s in suffixes],
                "zoneIds": [f"{self.region[:3]}-az{i + 1}" for i in range(len(suffixes))],
                "id": self.region,
            }
        if token == "aws:kms/getPublicKey:getPublicKey":
            return {
                "keyId": args.args.get("keyId"),
                "arn": args.args.get("keyId"),
                "publicKeyPem": MOCK_SIGNING_PUBLIC_KEY_PEM,
                "customerMasterKeySpec": "ECC_NIST_P256",
                "keyUsage": "SIGN_VERIFY",
                "signingAlgorithms": ["ECDSA_SHA_256"],
                "id": args.args.get("keyId"),
            }
        raise NotImplementedError(f"the offline engine has no answer for invoke {token}; add one to preflight/mocks.py")
