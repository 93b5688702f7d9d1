"""ECR repository controls, one set per repository the stack exports."""
from __future__ import annotations

import fnmatch
import json

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict, unavailable
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
SCANNING_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    try:
        repositories = outputs.require("ecrRepositoryNames", dict)
    except MissingOutput as missing:
        return [Control(rule, "<ecrRepositoryNames not given>", unavailable(missing)) for rule in RULES]
    if not repositories:
        # The stack always has repositories (ecrImages needs one); an empty list proves nothing.
        none_named = MissingOutput("stack output 'ecrRepositoryNames' names no repository")
        return [Control(rule, "<no repository named>", unavailable(none_named)) for rule in RULES]
    return [control for name in repositories.values() for control in _repository_controls(account, outputs, str(name))]


def _repository_controls(account: Account, outputs: StackOutputs, name: str) -> list[Control]:
    def ecr():
        return account.client("ecr")

    def repository() -> dict:
        return account.read(
            ("ecr.repository", name), lambda: ecr().describe_repositories(repositoryNames=[name])["repositories"][0]
        )

    def immutable() -> Verdict:
        mutability = repository().get("imageTagMutability")
        if mutability is None:
            raise EvidenceMissing("DescribeRepositories returned no imageTagMutability", {"imageTagMutability": None})
        return Verdict(mutability == "IMMUTABLE", f"tag mutability {mutability}", {"imageTagMutability": mutability})

    def scan_on_push() -> Verdict:
        repo_setting = repository().get("imageScanningConfiguration", {})
        registry = account.read(
            ("ecr.registry-scanning",), lambda: ecr().get_registry_scanning_configuration()["scanningConfiguration"]
        )
        # Registry rules override the repository setting; with ENHANCED scanning they are the only setting.
        rule_scans = any(
            rule.get("scanFrequency") in SCANNING_FREQUENCIES
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
        kind, key = encryption.get("encryptionType"), encryption.get("kmsKey")
        passed = kind in ("KMS", "KMS_DSSE") and same_key(key, expected)
        return Verdict(passed, f"encryption {kind} with {key or 'no key'}, expected {expected}",
                       {"encryptionConfiguration": encryption})

    def lifecycle() -> Verdict:
        text = account.read_setting(
            ("ecr.lifecycle", name),
            lambda: ecr().get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"],
            not_configured="LifecyclePolicyNotFoundException",
        )
        if text is None:
            return Verdict(False, "no lifecycle policy", {"lifecyclePolicy": None})
        policy = json.loads(text)
        rules = policy.get("rules", [])
        return Verdict(bool(rules), f"lifecycle policy with {len(rules)} rule(s)", {"lifecyclePolicy": policy})

    def no_wildcard_principal() -> Verdict:
        text = account.read_setting(
            ("ecr.policy", name),
            lambda: ecr().get_repository_policy(repositoryName=name)["policyText"],
            not_configured="RepositoryPolicyNotFoundException",
        )
        if text is None:
            return Verdict(True, "no repository policy: access only through IAM", {"repositoryPolicy": None})
        policy = parse(text)
        open_to_all = [s for s in statements(policy) if s.get("Effect") == "Allow" and has_wildcard_principal(s)]
        message = f"{len(open_to_all)} statement(s) allow any principal" if open_to_all else "no `*` principal"
        return Verdict(not open_to_all, message, {"repositoryPolicy": policy})

    return [
        Control("ecr-immutable-tags", name, immutable),
        Control("ecr-scan-on-push", name, scan_on_push),
        Control("ecr-kms-encryption", name, kms),
        Control("ecr-lifecycle-policy", name, lifecycle),
        Control("ecr-repository-policy-no-wildcard-principal", name, no_wildcard_principal),
    ]
