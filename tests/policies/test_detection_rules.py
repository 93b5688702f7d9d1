"""The detection and attestation rules on the prod plan: it passes, each control taken away fails its
rule, and a value unknown at preview is "cannot verify", never a pass."""
from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from policy_plans import PROD, UNKNOWN, assert_outcome, edited
from preflight.evaluation import evaluate, load_pack_config
from preflight.engine import run_program
from preflight.model import Plan
from preflight.stack_files import PROJECT_ROOT

DETECTION_RULES = ("eks-audit-log-alarms", "eks-audit-review-queries", "sns-topic-kms", "guardduty-eks-protection",
                   "kyverno-image-attestations")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return run_program(stack="prod")


def without(plan: Plan, *types: str, name: str | None = None) -> Plan:
    return dataclasses.replace(plan, resources=tuple(
        r for r in plan.resources if not (r.type in types and (name is None or r.name == name))))


def outcome(plan: Plan, rule: str, expect: str, config: dict | None = None) -> None:
    assert_outcome(evaluate(plan, config or load_pack_config(PROD)), rule, expect)


def setter(*path, value):
    def edit(inputs):
        node = inputs
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


def verify_images(inputs: dict) -> dict:
    return inputs["spec"]["rules"][0]["verifyImages"][0]


@pytest.mark.parametrize("rule", DETECTION_RULES)
def test_the_prod_plan_passes(prod, rule):
    outcome(prod, rule, "pass")


# --- eks-audit-log-alarms, eks-audit-review-queries, sns-topic-kms ---------------------------------

def test_an_alarm_taken_away_fails(prod):
    outcome(without(prod, "aws:cloudwatch/metricAlarm:MetricAlarm", name="detection-podExec-alarm"),
            "eks-audit-log-alarms", "fail")


def test_an_alarm_without_action_fails(prod):
    outcome(edited(prod, "detection-secretReads-alarm", setter("alarmActions", value=[])), "eks-audit-log-alarms", "fail")


def test_a_filter_that_watches_something_else_fails_whatever_its_name(prod):
    outcome(edited(prod, "detection-anonymousBinding", setter("pattern", value='{ $.verb = "create" }')),
            "eks-audit-log-alarms", "fail")


def test_a_filter_on_another_log_group_does_not_count(prod):
    moved = edited(prod, "detection-authFailures", setter("logGroupName", value="/aws/lambda/other"))
    outcome(dataclasses.replace(moved, resources=tuple(
        dataclasses.replace(r, property_dependencies={**r.property_dependencies, "logGroupName": ()})
        if r.name == "detection-authFailures" else r for r in moved.resources)), "eks-audit-log-alarms", "fail")


def test_a_topic_nobody_receives_fails(prod):
    outcome(without(prod, "aws:sns/topicSubscription:TopicSubscription"), "eks-audit-log-alarms", "fail")


def test_an_unknown_pattern_cannot_be_verified(prod):
    outcome(edited(prod, "detection-podExec", setter("pattern", value=UNKNOWN)), "eks-audit-log-alarms", "unknown")


def test_no_saved_query_fails(prod):
    outcome(without(prod, "aws:cloudwatch/queryDefinition:QueryDefinition"), "eks-audit-review-queries", "fail")


@pytest.mark.parametrize("key,expect", [(None, "fail"), ("alias/aws/sns", "fail"), (UNKNOWN, "pass")])
def test_topic_encryption(prod, key, expect):
    def edit(inputs):
        inputs.pop("kmsMasterKeyId")
        if key is not None:
            inputs["kmsMasterKeyId"] = key
    outcome(edited(prod, "detection-topic", edit), "sns-topic-kms", expect)


# --- guardduty-eks-protection -----------------------------------------------------------------------

@pytest.mark.parametrize("name,edit,expect", [
    ("guardduty-eks-audit-logs", setter("status", value="DISABLED"), "fail"),
    ("guardduty-eks-runtime-monitoring", setter("status", value="DISABLED"), "fail"),
    ("guardduty-eks-runtime-monitoring", setter("additionalConfigurations", value=[]), "fail"),
    ("guardduty-detector", setter("enable", value=False), "fail"),
    ("guardduty-eks-runtime-monitoring", setter("status", value=UNKNOWN), "unknown"),
])
def test_guardduty_features(prod, name, edit, expect):
    outcome(edited(prod, name, edit), "guardduty-eks-protection", expect)


def test_no_detector_fails_unless_the_organisation_runs_guardduty(prod):
    plan = without(prod, "aws:guardduty/detector:Detector", "aws:guardduty/detectorFeature:DetectorFeature")
    outcome(plan, "guardduty-eks-protection", "fail")
    central = load_pack_config(PROD)
    central["guardduty-eks-protection"] = {**central["guardduty-eks-protection"], "managedCentrally": True}
    outcome(plan, "guardduty-eks-protection", "pass", central)


def test_findings_not_routed_fail_even_when_managed_centrally(prod):
    central = load_pack_config(PROD)
    central["guardduty-eks-protection"] = {**central["guardduty-eks-protection"], "managedCentrally": True}
    outcome(without(prod, "aws:cloudwatch/eventTarget:EventTarget"), "guardduty-eks-protection", "fail", central)


# --- kyverno-image-attestations ---------------------------------------------------------------------

def attestation_edit(change):
    def edit(inputs):
        change(verify_images(inputs)["attestations"])
    return edit


@pytest.mark.parametrize("change", [
    lambda a: a.pop(0),  # no SBOM
    lambda a: a.pop(1),  # no scan
    lambda a: a[1]["conditions"][0]["all"].pop(1),  # CRITICAL findings accepted
    lambda a: a[1]["conditions"][0]["all"][0].update(value="720h"),  # scans older than the pack allows
    lambda a: a[0].update(attestors=[{"count": 1, "entries": []}]),  # no key for the SBOM
], ids=["no-sbom", "no-scan", "criticals-accepted", "stale-scan", "no-key"])
def test_attestations_taken_away_fail(prod, change):
    outcome(edited(prod, "admission-verify-image-signatures", attestation_edit(change)), "kyverno-image-attestations", "fail")


def test_a_stricter_pack_limit_fails_the_stacks_age(prod):
    strict = load_pack_config(PROD)
    strict["kyverno-image-attestations"] = {**strict["kyverno-image-attestations"], "maxScanAgeHours": 24}
    outcome(prod, "kyverno-image-attestations", "fail", strict)


def test_an_unknown_policy_spec_cannot_be_verified(prod):
    outcome(edited(prod, "admission-verify-image-signatures", setter("spec", value=UNKNOWN)),
            "kyverno-image-attestations", "unknown")


# --- The pack config and the stacks agree -----------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pack_config_mirrors_the_stacks_guardduty_and_scan_age(stack):
    settings = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]

    def setting(key):
        return settings.get(f"devsecops-platform:{key}", declared[key]["default"])

    pack = json.loads((PROJECT_ROOT / "policies" / "config" / f"{setting('environment')}.json").read_text())
    assert pack["guardduty-eks-protection"]["managedCentrally"] == setting("guardDutyManagedCentrally")
    assert setting("vulnerabilityScanMaxAgeHours") <= pack["kyverno-image-attestations"]["maxScanAgeHours"]
