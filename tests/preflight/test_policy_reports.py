"""Kyverno's PolicyReports and ClusterPolicyReports joined to a real preview's report, each result
under the CrossGuard twin of its Kyverno policy; what cannot be placed is an error."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from policies.workload_catalog import CATALOG
from preflight.policy_reports import twins
from waiver_files import waiver, waiver_file  # noqa: F401 - the fixture

FIXTURES = Path(__file__).parent / "fixtures"
LOG = FIXTURES / "preview-dev-advisory.events.jsonl"
REPORTS = FIXTURES / "policyreports-dev.json"
LEGACY = "admission:Deployment:app/legacy-report"


@pytest.fixture
def joined(preflight, waiver_file):
    waiver_file([])

    def run(reports: Path = REPORTS, *extra: str):
        return preflight("report", LOG, "--policy-reports", reports, "--format", "json", *extra)

    return run


def rewritten(tmp_path: Path, change) -> Path:
    document = json.loads(REPORTS.read_text())
    change(document)
    path = tmp_path / "reports.json"
    path.write_text(json.dumps(document))
    return path


def test_every_kyverno_policy_and_its_autogen_rules_have_a_twin():
    known = twins()
    assert set(known) == {c.kyverno_policy for c in CATALOG}
    rule, names = known["disallow-latest-tag"]
    assert rule == "k8s-no-latest-image"
    assert {"validate-image-tag", "autogen-validate-image-tag", "autogen-cronjob-validate-image-tag"} <= names


def test_a_failed_result_is_a_violation_of_the_twin_rule_at_its_level_for_the_stack(joined):
    run = joined()
    report = run.json()
    admitted = {(v["policy"], v["urn"], v["enforcementLevel"]) for v in report["violations"] if v["urn"].startswith("admission:")}
    assert admitted == {("k8s-no-latest-image", LEGACY, "advisory"), ("k8s-read-only-root-fs", LEGACY, "advisory")}
    message = next(v["message"] for v in report["violations"] if v["policy"] == "k8s-no-latest-image")
    assert message.startswith("Kyverno disallow-latest-tag/autogen-validate-image-tag: validation error")
    assert "k8s-no-latest-image" not in report["passed"] and run.status == 0  # advisory in dev


def test_prod_levels_make_the_same_results_mandatory(preflight, waiver_file, tmp_path):
    waiver_file([])
    log = tmp_path / "prod.events.jsonl"
    log.write_text(LOG.read_text().replace("urn:pulumi:dev::", "urn:pulumi:prod::")
                   .replace('"devsecops-platform:environment": "dev"', '"devsecops-platform:environment": "prod"'))
    run = preflight("report", log, "--policy-reports", REPORTS, "--format", "json")
    levels = {v["policy"]: v["enforcementLevel"] for v in run.json()["violations"] if v["urn"].startswith("admission:")}
    assert levels == {"k8s-no-latest-image": "mandatory", "k8s-read-only-root-fs": "mandatory"}
    assert run.status == 2  # the log's advisory retention finding is weaker than prod requires: an error outranks


def test_passes_and_exceptions_are_evidence_of_both_report_kinds(joined):
    evidence = joined().json()["evidence"]
    by = {(e["rule"], e["resource"], e["status"]) for e in evidence}
    assert ("k8s-no-latest-image", "admission:Deployment:app/frontend", "pass") in by
    assert ("k8s-probes-required", "admission:Deployment:app/frontend", "pass") in by
    assert ("k8s-no-latest-image", "admission:Pod:app/legacy-report-7d9f8b6c4-x2x9k", "skip") in by  # older per-result form
    assert ("k8s-namespace-psa-restricted", "admission:Namespace:/app", "pass") in by  # a ClusterPolicyReport
    assert all(e["source"] == "admission" for e in evidence) and len(evidence) == 10


def test_admission_joins_the_matrix(joined):
    compliance = joined().json()["compliance"]
    rules = {r["name"]: r for f in compliance for c in f["controls"] for r in c["rules"]}
    assert rules["k8s-no-latest-image"]["status"] == "fail"
    assert rules["k8s-no-latest-image"]["findings"][0]["resource"] == LEGACY


def test_a_waiver_of_the_object_waives_its_admission_findings_too(joined, waiver_file):
    waiver_file([waiver("k8s-no-latest-image", "app/legacy-report")])
    report = joined().json()
    assert [(w["policy"], w["urn"]) for w in report["waived"]] == [("k8s-no-latest-image", LEGACY)]
    assert ("k8s-read-only-root-fs", LEGACY) in {(v["policy"], v["urn"]) for v in report["violations"]}


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["items"][0]["results"][0].update(policy="require-labels"),
     "policy 'require-labels' is not one the workload catalogue generates"),
    (lambda d: d["items"][0]["results"][0].update(source="trivy-operator"), "written by 'trivy-operator', not Kyverno"),
    (lambda d: d["items"][0]["results"][0].update(rule="autogen-something-else"),
     "rule 'autogen-something-else' is not a rule of Kyverno policy disallow-latest-tag"),
    (lambda d: d["items"][0]["results"][0].update(result="PASS"), "result 'PASS' is not one of"),
    (lambda d: d["items"][0]["results"][0].update(result="error", message="failed to load the image: timeout"),
     "Kyverno could not judge admission:Deployment:app/frontend with disallow-latest-tag/autogen-validate-image-tag"),
    (lambda d: d["items"][0].pop("scope"), "names no resource (kind, name) it judged"),
    (lambda d: d["items"][0].update(apiVersion="openreports.io/v1alpha1"), "is not a wgpolicyk8s.io/v1alpha2 PolicyReport"),
    (lambda d: d["items"].append("text"), "item 4: not an object"),
])
def test_a_result_that_cannot_be_placed_is_an_error(joined, tmp_path, change, expected):
    run = joined(rewritten(tmp_path, change))
    assert run.status == 2
    assert any(expected in e["message"] for e in run.json()["errors"]), run.json()["errors"]


def test_a_warning_is_an_advisory_violation(joined, tmp_path):
    def warn(document):
        document["items"][0]["results"][0]["result"] = "warn"
    report = joined(rewritten(tmp_path, warn)).json()
    assert ("k8s-no-latest-image", "admission:Deployment:app/frontend", "advisory") in {
        (v["policy"], v["urn"], v["enforcementLevel"]) for v in report["violations"]}


@pytest.mark.parametrize("text", ["[]", '{"kind": "ConfigMap"}', "not json", '{"kind": "List", "items": {}}'])
def test_a_file_that_is_not_a_list_of_reports_is_a_usage_error(joined, tmp_path, text):
    path = tmp_path / "reports.json"
    path.write_text(text)
    run = joined(path)
    assert run.status == 2 and run.out == "" and "error:" in run.err


def test_the_file_is_read_within_the_limits(joined):
    run = joined(REPORTS, "--max-file-bytes", "100")
    assert run.status == 2 and "larger than 100 bytes" in run.err


def test_a_single_report_is_read_like_a_list_of_one(joined, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(copy.deepcopy(json.loads(REPORTS.read_text())["items"][3])))
    evidence = joined(path).json()["evidence"]
    assert [(e["rule"], e["status"]) for e in evidence] == [("k8s-namespace-psa-restricted", "pass")]
