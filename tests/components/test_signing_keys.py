"""The cosign signing keys as a list: the current key signs, every listed key verifies at admission,
so a key is rotated without refusing what the key before it signed."""
from __future__ import annotations

import json

import pytest

from components.config_rules import check_supply_chain
from policies.attestations import SBOM_PREDICATE, VULN_PREDICATE
from preflight.engine import run_program
from preflight.mocks import MOCK_SIGNING_PUBLIC_KEY_PEM
from stack_variants import stack_variant

KEY = "aws:kms/key:Key"


@pytest.fixture(scope="module")
def rotating(tmp_path_factory):
    """The dev stack mid-rotation: cosign-2026 is current, cosign still trusted."""
    path = stack_variant(tmp_path_factory.mktemp("rotation"), changes={"cosignKeys": ["cosign-2026", "cosign"]})
    return run_program(stack_file=path)


def signing_keys(plan) -> dict[str, dict]:
    return {r.name: r for r in plan.by_type(KEY) if r.inputs["keyUsage"] == "SIGN_VERIFY"}


def verify_images(plan) -> dict:
    policy = next(r for r in plan.by_type("kubernetes:kyverno.io/v1:ClusterPolicy")
                  if r.inputs["metadata"]["name"] == "verify-image-signatures")
    [rule] = policy.inputs["spec"]["rules"]
    [verify] = rule["verifyImages"]
    return verify


def role_statements(plan, role_name: str) -> list[dict]:
    role = next(r for r in plan.by_type("aws:iam/role:Role") if r.inputs["name"] == role_name)
    policy = next(r for r in plan.by_type("aws:iam/rolePolicy:RolePolicy") if r.parent == role.parent and r.name == f"{role.name}-policy")
    return json.loads(policy.inputs["policy"])["Statement"]


def test_the_shipped_stacks_keep_their_one_key_and_its_alias(plan):
    [key] = signing_keys(plan).values()
    assert key.name == "keys-cosign" and key.inputs["customerMasterKeySpec"] == "ECC_NIST_P256"
    aliases = [a.inputs["name"] for a in plan.by_type("aws:kms/alias:Alias") if a.name == "keys-cosign-alias"]
    assert aliases == [f"alias/{plan.outputs['clusterName']}-cosign"]
    assert plan.outputs["signingKeyArns"] == [plan.outputs["signingKeyArn"]]


def test_during_rotation_both_keys_exist_and_the_first_is_current(rotating):
    keys = signing_keys(rotating)
    assert set(keys) == {"keys-cosign-2026", "keys-cosign"}
    assert rotating.outputs["signingKeyArns"][0] == rotating.outputs["signingKeyArn"]
    assert len(set(rotating.outputs["signingKeyArns"])) == 2


def test_admission_accepts_any_listed_key_for_the_signature_and_both_attestations(rotating):
    verify = verify_images(rotating)
    attestors = [verify["attestors"], *(a["attestors"] for a in verify["attestations"])]
    for attestor in attestors:
        assert attestor == [{"count": 1, "entries": [
            {"keys": {"publicKeys": MOCK_SIGNING_PUBLIC_KEY_PEM,
                      "rekor": {"ignoreTlog": True}, "ctlog": {"ignoreSCT": True}}}] * 2}]
    assert [a["type"] for a in verify["attestations"]] == [SBOM_PREDICATE, VULN_PREDICATE]


def test_kyverno_reads_every_public_key_and_ci_signs_only_with_the_current_one(rotating):
    arns = rotating.outputs["signingKeyArns"]
    prefix = rotating.outputs["clusterName"]
    for role in (f"{prefix}-kyverno", f"{prefix}-kyverno-reports"):
        [read] = [s for s in role_statements(rotating, role) if s["Sid"] == "ReadSigningPublicKeys"]
        assert read["Resource"] == arns
    ci = rotating.one("aws:iam/rolePolicy:RolePolicy", "ci-permissions")
    signing = [s for s in json.loads(ci.inputs["policy"])["Statement"] if "kms:Sign" in s["Action"]]
    assert [s["Resource"] for s in signing] == [rotating.outputs["signingKeyArn"]]


@pytest.mark.parametrize("keys,problem", [
    ([], "cosignKeys: got []"),
    (["cosign", "cosign-a", "cosign-b", "cosign-c"], "1 to 3 key names"),
    (["cosign", "cosign"], "cosignKeys[1]: got 'cosign'; allowed: a name not already in the list"),
    (["secrets"], "cosignKeys[0]: got 'secrets'"),
    (["cosign-2026"], None),
])
def test_key_names_are_checked(keys, problem):
    found = [str(p) for p in check_supply_chain({"environment": "dev", "vulnerabilityScanMaxAgeHours": 168, "cosignKeys": keys})]
    assert (found == []) if problem is None else any(problem in p for p in found), found
