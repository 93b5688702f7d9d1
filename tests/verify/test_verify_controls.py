"""verify against moto: a compliant account passes, and each broken control fails alone."""
from __future__ import annotations

import boto3
import pytest

from moto_server import FAKE_CREDENTIALS
from preflight.verify import VERIFY_RULES, StackOutputs, Status, verify
from verify_account import BREAKS, REPOSITORIES, AccountSpec, build_account


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
    assert sum(r.rule == "kms-key-rotation" for r in results) == 4


def test_evidence_is_the_api_value(aws):
    outputs = build_account(aws.endpoint_url)
    results = {(r.rule, r.resource): r for r in run_verify(aws.endpoint_url, outputs)}

    logs = results[("eks-control-plane-logs-all-types", "platform-dev")].evidence
    assert logs["logging"]["clusterLogging"][0]["types"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    imds = results[("nodegroup-imdsv2-required", "system")].evidence["MetadataOptions"]
    assert (imds["HttpTokens"], imds["HttpPutResponseHopLimit"]) == ("required", 1)
    retention = results[("cloudwatch-log-group-retention", "/aws/eks/platform-dev/cluster")].evidence
    assert retention == {"retentionInDays": 90}


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_breaking_one_control_fails_exactly_that_control(aws, rule):
    results = run_verify(aws.endpoint_url, build_account(aws.endpoint_url, BREAKS[rule]))

    not_passed = {(r.rule, r.status) for r in results if r.status is not Status.PASS}
    assert not_passed == {(rule, Status.FAIL)}


def test_public_endpoint_restricted_to_the_configured_cidrs_passes(aws):
    cidrs = ("203.0.113.0/24",)
    outputs = build_account(aws.endpoint_url, AccountSpec(endpoint_public=True, public_cidrs=cidrs))
    outputs.update(endpointPublicAccess=True, publicAccessCidrs=list(cidrs))

    result = next(r for r in run_verify(aws.endpoint_url, outputs) if r.rule == "eks-public-endpoint-restricted")

    assert result.status is Status.PASS, result.message
