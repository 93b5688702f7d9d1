"""EKS cluster controls, all judged from one DescribeCluster answer."""
from __future__ import annotations

from policies.networks import open_reasons

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict
from ..kms_keys import same_key
from ..outputs import StackOutputs

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def cluster() -> dict:
        name = outputs.require("clusterName")
        return account.read(
            ("eks.cluster", name), lambda: account.client("eks").describe_cluster(name=name)["cluster"]
        )

    def logs_all_types() -> Verdict:
        logging = cluster().get("logging")
        if not isinstance(logging, dict):  # AWS always describes logging, enabled or not
            raise EvidenceMissing("DescribeCluster returned no logging", {"logging": logging})
        enabled = {
            log_type
            for entry in logging.get("clusterLogging", []) if entry.get("enabled")
            for log_type in entry.get("types", [])
        }
        missing = [t for t in LOG_TYPES if t not in enabled]
        message = f"log types not enabled: {', '.join(missing)}" if missing else "all five log types enabled"
        return Verdict(not missing, message, {"logging": logging})

    def secrets_encryption() -> Verdict:
        expected = outputs.require("kmsKeyArns.secrets")
        config = cluster().get("encryptionConfig", [])
        keys = [e.get("provider", {}).get("keyArn") for e in config if "secrets" in e.get("resources", [])]
        passed = any(same_key(k, expected) for k in keys)
        message = "secrets use the expected key" if passed else f"secrets key {keys or 'not set'}, expected {expected}"
        return Verdict(passed, message, {"encryptionConfig": config})

    def vpc_config() -> dict:
        return cluster().get("resourcesVpcConfig", {})

    def public_endpoint() -> Verdict:
        expected_public = outputs.require("endpointPublicAccess", bool)
        expected_cidrs = outputs.require("publicAccessCidrs", list)
        vpc = vpc_config()
        public, cidrs = vpc.get("endpointPublicAccess"), vpc.get("publicAccessCidrs", [])
        evidence = {"endpointPublicAccess": public, "publicAccessCidrs": cidrs}
        if not isinstance(public, bool) or not isinstance(cidrs, list):
            raise EvidenceMissing("DescribeCluster returned no endpointPublicAccess and publicAccessCidrs", evidence)
        if public != expected_public:
            return Verdict(False, f"public endpoint {_on_off(public)}, configured {_on_off(expected_public)}", evidence)
        if not public:
            # AWS reports 0.0.0.0/0 even when the public endpoint is off; the CIDRs only matter when it is on.
            return Verdict(True, "public endpoint off", evidence)
        # The pack's judgement of "open": halves, quarters and IPv6 ranges count, not only a literal /0.
        reasons = open_reasons(cidrs)
        if reasons:
            return Verdict(False, f"public endpoint open to the internet: {'; '.join(reasons)}", evidence)
        if sorted(cidrs) != sorted(expected_cidrs):
            return Verdict(False, f"public endpoint open to {cidrs}, configured {expected_cidrs}", evidence)
        return Verdict(True, f"public endpoint limited to {cidrs}", evidence)

    def private_endpoint() -> Verdict:
        private = vpc_config().get("endpointPrivateAccess")
        if not isinstance(private, bool):
            raise EvidenceMissing("DescribeCluster returned no endpointPrivateAccess", {"endpointPrivateAccess": private})
        return Verdict(private is True, f"private endpoint access is {private}", {"endpointPrivateAccess": private})

    def authentication_mode() -> Verdict:
        expected = outputs.require("authenticationMode")
        access = cluster().get("accessConfig") or {}
        mode = access.get("authenticationMode")
        if mode is None:
            raise EvidenceMissing("DescribeCluster returned no authenticationMode", {"accessConfig": access})
        passed = mode == expected and mode != "CONFIG_MAP"
        return Verdict(passed, f"authentication mode {mode}, configured {expected}", {"accessConfig": access})

    resource = outputs.label("clusterName")
    return [
        Control("eks-control-plane-logs-all-types", resource, logs_all_types),
        Control("eks-secrets-encryption-cmk", resource, secrets_encryption),
        Control("eks-public-endpoint-restricted", resource, public_endpoint),
        Control("eks-private-endpoint-enabled", resource, private_endpoint),
        Control("eks-api-authentication-mode", resource, authentication_mode),
    ]


def _on_off(flag: bool) -> str:
    return "on" if flag else "off"
