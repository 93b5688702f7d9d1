"""Signed images are admitted by digest: tags are rewritten to the verified digest where Kyverno enforces."""
from policies.kyverno import cluster_policies
from policies.workload_catalog import KyvernoParams


def _verify_rule(failure_action: str) -> dict:
    [policy] = [p for p in cluster_policies(KyvernoParams(failure_action=failure_action, cosign_public_keys=("PEM",)))
                if p["metadata"]["name"] == "verify-image-signatures"]
    [rule] = policy["spec"]["rules"]
    [verify] = rule["verifyImages"]
    return verify


def test_enforcing_policy_mutates_tags_to_the_verified_digest_and_requires_it():
    verify = _verify_rule("Enforce")
    assert verify["mutateDigest"] is True and verify["verifyDigest"] is True and verify["required"] is True
    assert verify["failureAction"] == "Enforce"


def test_auditing_policy_only_verifies_because_kyverno_mutates_only_when_enforcing():
    verify = _verify_rule("Audit")
    assert verify["mutateDigest"] is False and verify["verifyDigest"] is True
