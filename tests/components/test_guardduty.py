"""GuardDuty under mocks: the detector with EKS audit log and runtime monitoring (addon managed), or
none where the organisation runs it centrally; findings routed to the alarm topic either way."""
from __future__ import annotations

import json

from preflight.engine import run_program
from preflight.model import Plan
from stack_variants import stack_variant

DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"


def findings_route(plan: Plan) -> tuple[dict, str]:
    rule = plan.one("aws:cloudwatch/eventRule:EventRule")
    target = plan.one("aws:cloudwatch/eventTarget:EventTarget")
    assert target.property_dependencies["rule"] == (rule.urn,)
    [topic_urn] = target.property_dependencies["arn"]
    return json.loads(rule.inputs["eventPattern"]), plan.by_urn(topic_urn).type


def test_detector_runs_eks_audit_log_and_runtime_monitoring(plan: Plan):
    detector = plan.one(DETECTOR)
    assert detector.inputs["enable"] is True and detector.inputs["findingPublishingFrequency"] == "FIFTEEN_MINUTES"
    features = {f.inputs["name"]: f.inputs for f in plan.by_type(FEATURE)}
    assert {name: f["status"] for name, f in features.items()} == {
        "EKS_AUDIT_LOGS": "ENABLED", "EKS_RUNTIME_MONITORING": "ENABLED"}
    assert features["EKS_RUNTIME_MONITORING"]["additionalConfigurations"] == [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]
    assert all(f.property_dependencies["detectorId"] == (detector.urn,) for f in plan.by_type(FEATURE))
    assert plan.outputs["guardDutyManagedCentrally"] is False


def test_findings_of_medium_severity_and_above_reach_the_alarm_topic(plan: Plan):
    pattern, target_type = findings_route(plan)
    assert pattern == {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
                       "detail": {"severity": [{"numeric": [">=", 4]}]}}
    assert target_type == "aws:sns/topic:Topic"


def test_central_management_creates_no_detector_but_still_routes_findings(tmp_path):
    plan = run_program(stack_file=stack_variant(tmp_path, base="prod", changes={"guardDutyManagedCentrally": True}))
    assert plan.by_type(DETECTOR) == [] and plan.by_type(FEATURE) == []
    assert findings_route(plan)[0]["source"] == ["aws.guardduty"]
    assert plan.outputs["guardDutyManagedCentrally"] is True
