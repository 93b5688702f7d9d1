"""ECR repository controls, one set per repository the stack exports."""
from __future__ import annotations

import fnmatch
import json

from botocore.exceptions import ClientError

from ..account import Account
from ..control import Control, Verdict, error_code, unavailable
from ..kms_keys import same_key
from ..outputs import MissingOutput, StackOutputs
from ..policy_documents import has_wildcard_principal, parse, statements

RULES = (
    "ecr-immutable-tags",
    "ecr-scan-on-push",
    "ecr-kms-encryption",
    "ecr-lifecycle-policy",
    "ecr-repository-policy-no-wildcard-principal",
)


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    try:
        repositories = outputs.require("ecrRepositoryNames", dict)
    except MissingOutput as missing:
        return [Control(rule, "<ecrRepositoryNames not given>", unavailable(missing)) for rule in RULES]
    return [control for name in repositories.values() for control in _repository_controls(account, outputs, str(name))]


def _repository_controls(account: Account, outputs: StackOutputs, name: str) -> list[Control]:
    def ecr():
        return account.client("ecr")

    def repository() -> dict:
        return account.read(("ecr.repository", name), lambda: ecr().describe_repositories(repositoryNames=[name])["repositories"][0])

    def immutable() -> Verdict:
        mutability = repository().get("imageTagMutability")
        return Verdict(mutability == "IMMUTABLE", f"tag mutability {mutability}", {"imageTagMutability": mutability})

    def scan_on_push() -> Verdict:
        repo_setting = repository().get("imageScanningConfiguration", {})
        registry = account.read(("ecr.registry-scanning",), lambda: ecr().get_registry_scanning_configuration()["scanningConfiguration"])
        # Registry rules override the repository setting, and with ENHANCED scanning they are the only setting.
        rule_scans = any(
            rule.get("scanFrequency") in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
            and any(fnmatch.fnmatchcase(name, f.get("filter", "")) for f in rule.get("repositoryFilters", []))
            for rule in registry.get("rules", [])
        )
        repo_scans = registry.get("scanType") != "ENHANCED" and repo_setting.get("scanOnPush") is True
        passed = rule_scans or repo_scans
        evidence = {"imageScanningConfiguration": repo_setting, "registryScanningConfiguration": registry}
        return Verdict(passed, "images scanned on push" if passed else "images are not scanned on push", evidence)

    def kms() -> Verdict:
        expected = outputs.require("kmsKeyArns.ecr")
        encryption = repository().get("encryptionConfiguration", {})
        passed = encryption.get("encryptionType") in ("KMS", "KMS_DSSE") and same_key(encryption.get("kmsKey"), expected)
        message = f"encryption {encryption.get('encryptionType')} with {encryption.get('kmsKey') or 'no key'}, expected {expected}"
        return Verdict(passed, message, {"encryptionConfiguration": encryption})

    def lifecycle() -> Verdict:
        try:
            text = account.read(("ecr.lifecycle", name), lambda: ecr().get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        except ClientError as error:
            if error_code(error) != "LifecyclePolicyNotFoundException":
                raise
            return Verdict(False, "no lifecycle policy", {"lifecyclePolicy": None})
        rules = json.loads(text).get("rules", [])
        return Verdict(bool(rules), f"lifecycle policy with {len(rules)} rule(s)", {"lifecyclePolicy": json.loads(text)})

    def no_wildcard_principal() -> Verdict:
        try:
            text = account.read(("ecr.policy", name), lambda: ecr().get_repository_policy(repositoryName=name)["policyText"])
        except ClientError as error:
            if error_code(error) != "RepositoryPolicyNotFoundException":
                raise
            return Verdict(True, "no repository policy: access only through the account's IAM", {"repositoryPolicy": None})
        policy = parse(text)
        open_statements = [s for s in statements(policy) if s.get("Effect") == "Allow" and has_wildcard_principal(s)]
        message = f"{len(open_statements)} statement(s) allow any principal" if open_statements else "no statement allows any principal"
        return Verdict(not open_statements, message, {"repositoryPolicy": policy})

    return [
        Control("ecr-immutable-tags", name, immutable),
        Control("ecr-scan-on-push", name, scan_on_push),
        Control("ecr-kms-encryption", name, kms),
        Control("ecr-lifecycle-policy", name, lifecycle),
        Control("ecr-repository-policy-no-wildcard-principal", name, no_wildcard_principal),
    ]
