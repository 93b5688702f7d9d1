"""The compliance matrix: every control of each catalogue, and the status rules that make a control
pass only when every rule claiming it ran and passed."""
from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from policies import pack
from policies.frameworks import CATALOGUES, CIS_EKS, CIS_EKS_CATALOGUE, CLAIMED_ONLY
from policies.waivers import Waiver
from preflight.evaluation import Violation, evaluate, load_pack_config
from preflight.compliance import matrix
from preflight.model import Plan
from preflight.report import EvidenceResult, Report, WaivedFinding, WaiverUse

PRIVATE, PUBLIC = "eks-private-endpoint-enabled", "eks-public-endpoint-restricted"  # both claim CIS EKS 5.4.1
EKS = "urn:pulumi:dev::devsecops-platform::devsecops:cluster:Cluster$eks:index:Cluster::cluster-eks"
A_WAIVER = Waiver(PUBLIC, (EKS,), (), "r", "o", "t", date(2030, 1, 1), "policies/waivers.yaml", 1)


@pytest.fixture(scope="module")
def metadata():
    return evaluate(Plan("p", "dev", (), {}), load_pack_config("policies/config/dev.json")).policies


def report(metadata, **fields) -> Report:
    given = {"kind": "check", "violations": (), "passed": (), **fields}
    return Report(stack="dev", policy_pack="devsecops-platform", policy_pack_version="1.0.0", resources=(),
                  policies=metadata, **given)


def control(r: Report, framework: str, reference: str):
    table = next(f for f in matrix(r) if f.name == framework)
    return next(c for c in table.controls if c.reference == reference)


def endpoint_status(r: Report) -> str:
    return control(r, CIS_EKS.name, "5.4.1").status


def violation(rule: str) -> Violation:
    return Violation(rule, "critical", "mandatory", EKS, "d\nthe endpoint is open")


def test_pass_only_when_every_rule_claiming_the_control_passed(metadata):
    assert endpoint_status(report(metadata, passed=(PRIVATE, PUBLIC))) == "pass"


def test_fail_when_any_claiming_rule_has_a_violation_at_any_level(metadata):
    advisory = replace(violation(PUBLIC), enforcement="advisory")
    assert endpoint_status(report(metadata, passed=(PRIVATE,), violations=(advisory,))) == "fail"


def test_not_evaluated_when_a_claiming_rule_did_not_run_or_could_not_judge(metadata):
    # Not in passed and no violation: not applicable offline, an error, or outside this report.
    assert endpoint_status(report(metadata, passed=(PRIVATE,))) == "not-evaluated"
    disabled = tuple(replace(m, enforcement="disabled") if m.name == PUBLIC else m for m in metadata)
    assert endpoint_status(report(disabled, passed=(PRIVATE,))) == "not-evaluated"


def test_waived_when_a_claiming_rule_found_only_waived_violations(metadata):
    waived = (WaivedFinding(violation(PUBLIC), A_WAIVER),)
    r = report(metadata, passed=(PRIVATE,), waived=waived)
    row = control(r, CIS_EKS.name, "5.4.1")
    assert row.status == "waived"
    (finding,) = next(rule for rule in row.rules if rule.name == PUBLIC).findings
    assert finding.waived_by == "policies/waivers.yaml:1" and finding.message == "the endpoint is open"


def test_precedence_fail_then_not_evaluated_then_waived(metadata):
    waived = (WaivedFinding(violation(PUBLIC), A_WAIVER),)
    assert endpoint_status(report(metadata, waived=waived)) == "not-evaluated"  # PRIVATE did not run
    assert endpoint_status(report(metadata, waived=waived, violations=(violation(PRIVATE),))) == "fail"


def test_admission_or_live_evidence_that_passed_counts_as_ran_and_passed(metadata):
    live = EvidenceResult("live", PUBLIC, "cluster", "pass", "", "verify")
    assert endpoint_status(report(metadata, passed=(PRIVATE,), evidence=(live,))) == "pass"


def test_a_rule_a_waiver_in_force_covers_in_a_real_preview_is_waived_not_passed(metadata):
    covering = (WaiverUse(A_WAIVER, "in-force", 0),)
    assert endpoint_status(report(metadata, kind="report", passed=(PRIVATE, PUBLIC), waivers=covering)) == "waived"


def test_a_control_no_rule_claims_is_manual(metadata):
    row = control(report(metadata, passed=tuple(m.name for m in metadata)), CIS_EKS.name, "3.2.1")
    assert row.status == "manual" and row.rules == ()


def test_the_cis_eks_catalogue_lists_every_recommendation_of_the_edition_the_pack_maps_to():
    references = [e.reference for e in CIS_EKS_CATALOGUE.entries]
    assert CIS_EKS_CATALOGUE.framework.version == "1.5.0" and len(references) == len(set(references)) == 46
    sections = {r.rsplit(".", 1)[0] for r in references}
    assert sections == {"2.1", "3.1", "3.2", "4.1", "4.2", "4.3", "4.4", "4.5", "5.1", "5.2", "5.3", "5.4", "5.5"}
    assert "4.1.7" in references and "5.4.2" in references and "3.3.1" not in references


def test_every_claimed_control_is_in_its_catalogue_with_the_benchmarks_own_title():
    titles = _claims_module().CONTROL_TITLES
    for catalogue in CATALOGUES:
        listed = {e.reference: e.title for e in catalogue.entries}
        claimed = {c.reference for r in pack.RULES for c in r.controls if c.framework == catalogue.framework}
        assert claimed <= set(listed), catalogue.framework.name
        for reference in claimed:
            assert listed[reference] == titles[f"{catalogue.framework.name} {reference}"], reference


def test_frameworks_without_a_catalogue_list_the_controls_claimed(metadata):
    tables = {f.name: f for f in matrix(report(metadata))}
    for framework in CLAIMED_ONLY:
        claimed = {c.reference for r in pack.RULES for c in r.controls if c.framework == framework}
        assert {c.reference for c in tables[framework.name].controls} == claimed


def test_every_framework_counts_each_control_once(metadata):
    for table in matrix(report(metadata, passed=tuple(m.name for m in metadata))):
        assert sum(table.counts().values()) == len(table.controls)


def _claims_module():
    path = Path(__file__).parents[1] / "policies" / "test_compliance_claims.py"
    spec = importlib.util.spec_from_file_location("compliance_claims", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
