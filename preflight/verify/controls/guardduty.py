"""GuardDuty as the account runs it (by the stack or the organisation's administrator alike): one
enabled detector with EKS audit log monitoring and runtime monitoring managing its EKS addon, and
the stack's rule sending findings to the alarm topic."""
from __future__ import annotations

from ..account import Account
from ..control import Control, EvidenceMissing, Verdict
from ..outputs import StackOutputs
from .detection import topic_arn

RULE = "guardduty-eks-protection"
RUNTIME_FEATURES = ("EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING")


def feature_problems(detector: dict) -> list[str]:
    """What GetDetector's answer says is missing (its documented shape: Status, Features[].Name/Status/
    AdditionalConfiguration[].Name/Status)."""
    if detector.get("Status") != "ENABLED":
        return [f"detector status {detector.get('Status')}"]
    features = {f.get("Name"): f for f in detector.get("Features", [])}
    problems = []
    if features.get("EKS_AUDIT_LOGS", {}).get("Status") != "ENABLED":
        problems.append("EKS audit log monitoring is not enabled")
    runtime = [features[n] for n in RUNTIME_FEATURES if features.get(n, {}).get("Status") == "ENABLED"]
    if not runtime:
        problems.append("EKS runtime monitoring is not enabled")
    elif not any(c.get("Name") == "EKS_ADDON_MANAGEMENT" and c.get("Status") == "ENABLED"
                 for f in runtime for c in f.get("AdditionalConfiguration", [])):
        problems.append("runtime monitoring does not manage its EKS addon")
    return problems


def controls(account: Account, outputs: StackOutputs) -> list[Control]:
    def guardduty():
        return account.client("guardduty")

    def detector() -> Verdict:
        # Judged the same whoever runs it; the evidence says who should.
        central = outputs.require("guardDutyManagedCentrally", bool)
        ids = account.read(("guardduty.detectors",), lambda: guardduty().list_detectors()["DetectorIds"])
        if len(ids) != 1:
            raise EvidenceMissing(f"the region has {len(ids)} GuardDuty detectors, not one", {"DetectorIds": ids})
        answer = account.read(("guardduty.detector", ids[0]), lambda: guardduty().get_detector(DetectorId=ids[0]))
        if "Status" not in answer:  # GetDetector always answers with it; without it nothing was read
            raise EvidenceMissing("GetDetector returned no Status", {"DetectorId": ids[0]})
        problems = feature_problems(answer)
        features = {f.get("Name"): f.get("Status") for f in answer.get("Features", [])}
        owner = "the organisation" if central else "the stack"
        return Verdict(not problems, "; ".join(problems) or f"EKS audit log and runtime monitoring enabled (run by {owner})",
                       {"DetectorId": ids[0], "Status": answer.get("Status"), "Features": features,
                        "managedCentrally": central})

    def findings_route() -> Verdict:
        name = outputs.require("guardDutyFindingsRuleName")
        events = account.client("events")
        rule = account.read(("events.rule", name), lambda: events.describe_rule(Name=name))
        if "State" not in rule:
            raise EvidenceMissing(f"DescribeRule returned no State for {name}")
        targets = account.read(("events.targets", name), lambda: events.list_targets_by_rule(Rule=name)["Targets"])
        arns = [t.get("Arn") for t in targets]
        passed = rule.get("State") == "ENABLED" and topic_arn(outputs) in arns
        return Verdict(passed, f"rule {rule.get('State')}, targets {arns or 'none'}",
                       {"State": rule.get("State"), "EventPattern": rule.get("EventPattern"), "Targets": arns})

    return [
        Control(RULE, "GuardDuty detector", detector),
        Control(RULE, outputs.label("guardDutyFindingsRuleName"), findings_route),
    ]
