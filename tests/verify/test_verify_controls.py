"""verify against moto: a compliant account passes, and each broken control fails alone."""
from __future__ import annotations

import boto3
import pytest

from moto_server import FAKE_CREDENTIALS
from preflight.verify import VERIFY_RULES, StackOutputs, Status, verify
from preflight.verify.account import Account
from preflight.verify.controls.cluster import controls as cluster_controls
from verify_account import (
    ACCOUNT_ID, BREAKS, CLUSTER, EVIDENCE_BUCKET, KEY_ROLES, NODE_GROUP, REGION, REPOSITORIES, AccountSpec, build_account, build_cluster,
    clients, stack_outputs,
)


def run_verify(endpoint_url: str, outputs: dict, **credentials: str):
    session = boto3.session.Session(**(credentials or FAKE_CREDENTIALS))
    return verify(StackOutputs(outputs), session=session, endpoint_url=endpoint_url)


def test_every_rule_has_a_break():
    assert set(BREAKS) == set(VERIFY_RULES)


def test_compliant_account_passes_every_control(aws):
    results = run_verify(aws.endpoint_url, build_account(aws.endpoint_url))

    assert [(r.rule, r.resource, r.message) for r in results if r.status is not Status.PASS] == []
    assert {r.rule for r in results} == set(VERIFY_RULES)
    # Per repository, per key: every repository and each of the four keys is judged on its own.
    assert sum(r.rule == "ecr-immutable-tags" for r in results) == len(REPOSITORIES)
    assert sum(r.rule == "kms-key-rotation" for r in results) == len(KEY_ROLES)


def test_evidence_is_the_api_value(aws):
    outputs = build_account(aws.endpoint_url)
    results = {(r.rule, r.resource): r for r in run_verify(aws.endpoint_url, outputs)}

    logs = results[("eks-control-plane-logs-all-types", CLUSTER)].evidence
    assert logs["logging"]["clusterLogging"][0]["types"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    imds = results[("nodegroup-imdsv2-required", NODE_GROUP)].evidence["MetadataOptions"]
    assert (imds["HttpTokens"], imds["HttpPutResponseHopLimit"]) == ("required", 1)
    retention = results[("cloudwatch-log-group-retention", f"/aws/eks/{CLUSTER}/cluster")].evidence
    assert retention == {"retentionInDays": 90}
    lock = results[("s3-evidence-object-lock", EVIDENCE_BUCKET)].evidence["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert (lock["ObjectLockEnabled"], retention["Mode"], retention["Days"]) == ("Enabled", "COMPLIANCE", 365)


@pytest.mark.parametrize("spec,words", [
    (AccountSpec(evidence_lock_days=30), "30 days, under the stack's 365 days"),
    (AccountSpec(evidence_locked=False), "Object Lock is not configured"),
], ids=["kept too short", "never locked"])
def test_evidence_kept_shorter_or_never_locked_fails(aws, spec, words):
    results = run_verify(aws.endpoint_url, build_account(aws.endpoint_url, spec))
    [lock] = [r for r in results if r.rule == "s3-evidence-object-lock"]
    assert lock.status is Status.FAIL and words in lock.message, lock.message


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_breaking_one_control_fails_exactly_that_control(aws, rule):
    results = run_verify(aws.endpoint_url, build_account(aws.endpoint_url, BREAKS[rule]))

    not_passed = {(r.rule, r.status) for r in results if r.status is not Status.PASS}
    assert not_passed == {(rule, Status.FAIL)}


def public_endpoint_result(endpoint_url: str, cidrs: tuple[str, ...]):
    """The public endpoint control on a cluster open to `cidrs`, as the settings say it is."""
    keys = {role: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{role}" for role in KEY_ROLES}
    build_cluster(clients(endpoint_url)("eks"), AccountSpec(endpoint_public=True, public_cidrs=cidrs), keys)
    outputs = {**stack_outputs(keys), "endpointPublicAccess": True, "publicAccessCidrs": list(cidrs)}
    account = Account(boto3.session.Session(**FAKE_CREDENTIALS), REGION, endpoint_url)
    return next(c.run() for c in cluster_controls(account, StackOutputs(outputs)) if c.rule == "eks-public-endpoint-restricted")


def test_public_endpoint_restricted_to_the_configured_cidrs_passes(aws):
    result = public_endpoint_result(aws.endpoint_url, ("203.0.113.0/24", "2001:db8::/48"))

    assert result.status is Status.PASS, result.message


# The whole internet in pieces: each piece is narrower than /0, so a literal check would pass them.
OPEN_IN_PIECES = {
    "IPv4 halves": ("0.0.0.0/1", "128.0.0.0/1"),
    "IPv4 quarters": ("0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"),
    "IPv6 halves": ("::/1", "8000::/1"),
    "one broad IPv4 network": ("10.0.0.0/6",),
    "IPv4-mapped IPv6 halves": ("::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"),
}


@pytest.mark.parametrize("case", sorted(OPEN_IN_PIECES))
def test_public_endpoint_open_in_pieces_fails_even_when_configured(aws, case):
    result = public_endpoint_result(aws.endpoint_url, OPEN_IN_PIECES[case])

    assert result.status is Status.FAIL
    assert "open to the internet" in result.message
