"""`preflight report`: a real preview's engine event log gives the same violations the engine reported."""
from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import FIXTURES, REPORT_SCHEMA

PROD_LOG = FIXTURES / "preview-prod-violations.events.jsonl"
DEV_LOG = FIXTURES / "preview-dev-advisory.events.jsonl"
KMS_RULE = "kms-key-policy-no-wildcard-principal"


@pytest.fixture
def engine_prod_log(tmp_path):
    """The prod fixture as the engine writes it: its remediation event under the name apitype gives it
    (policyRemediationEvent), and the kms rule at the level policies/config/prod.json sets."""
    text = PROD_LOG.read_text().replace('"policyRemediateEvent"', '"policyRemediationEvent"')
    kms_line = next(line for line in text.splitlines() if f'"policyName": "{KMS_RULE}"' in line)
    text = text.replace(kms_line, kms_line.replace('"enforcementLevel": "advisory"', '"enforcementLevel": "mandatory"'))
    path = tmp_path / "preview-prod.events.jsonl"
    path.write_text(text)
    return path


def engine_policy_events(path):
    events = [json.loads(line)["policyEvent"] for line in path.read_text().splitlines() if '"policyEvent"' in line]
    return sorted((e["policyName"], e["enforcementLevel"], e.get("resourceUrn", ""), e["message"]) for e in events)


def test_report_gives_exactly_the_violations_the_engine_reported(preflight):
    run = preflight("report", PROD_LOG, "--format", "json")
    document = run.json()
    jsonschema.validate(document, REPORT_SCHEMA)
    reported = sorted((v["policy"], v["enforcementLevel"], v["urn"], v["message"]) for v in document["violations"])
    assert reported == engine_policy_events(PROD_LOG)
    assert document["stack"] == "prod" and document["kind"] == "report"


def test_applied_remediations_are_not_violations(preflight, engine_prod_log):
    # A remediate-level policy that fixed its resource emits a policyRemediationEvent, not a violation.
    assert '"policyRemediationEvent"' in engine_prod_log.read_text()
    run = preflight("report", engine_prod_log, "--format", "json")
    assert run.json()["errors"] == []
    assert "ecr-scan-on-push" not in {v["policy"] for v in run.json()["violations"]}


def test_an_event_kind_no_engine_writes_and_a_level_below_the_pack_config_are_errors(preflight):
    document = preflight("report", PROD_LOG, "--format", "json").json()
    errors = {e["line"]: e["message"] for e in document["errors"]}
    assert set(errors) == {9, 10} and document["summary"]["verdict"] == "error"
    assert errors[10].startswith("unknown event kind 'policyRemediateEvent'")
    assert errors[9].startswith(f"{KMS_RULE} on ") and "reported advisory" in errors[9] and "requires mandatory" in errors[9]


def test_mandatory_event_fails_the_report_and_advisory_does_not(preflight, engine_prod_log):
    assert preflight("report", engine_prod_log).status == 1
    advisory = preflight("report", DEV_LOG, "--format", "json")
    assert advisory.status == 0
    assert [v["enforcementLevel"] for v in advisory.json()["violations"]] == ["advisory"]


def test_severity_control_and_remediation_come_from_the_pack(preflight):
    document = preflight("report", PROD_LOG, "--format", "json").json()
    by_policy = {v["policy"]: v for v in document["violations"]}
    policies = {p["name"]: p for p in document["policies"]}
    for name, violation in by_policy.items():
        assert violation["severity"] == policies[name]["severity"] != "unspecified"
        assert policies[name]["remediation"] and policies[name]["control"]
    assert not set(by_policy) & set(document["passed"])


def test_resources_come_from_the_step_events(preflight):
    document = preflight("report", PROD_LOG, "--format", "json").json()
    assert sorted(r["type"] for r in document["resources"]) == [
        "aws:cloudwatch/logGroup:LogGroup", "aws:ecr/repository:Repository", "aws:kms/key:Key"]


def test_every_format_renders_an_event_log_report(preflight, tmp_path, engine_prod_log):
    for fmt in ("text", "markdown", "html", "sarif"):
        run = preflight("report", engine_prod_log, "--format", fmt, "--output", tmp_path / f"r.{fmt}")
        assert run.status == 1 and run.out == ""
    assert "ecr-immutable-tags" in (tmp_path / "r.markdown").read_text()
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {name for name, *_ in engine_policy_events(PROD_LOG)}


def test_a_file_that_is_not_an_event_log_is_a_usage_error(preflight, tmp_path):
    bogus = tmp_path / "preview.json"
    bogus.write_text("{\"steps\": []\n")
    run = preflight("report", bogus)
    assert run.status == 2 and "not an engine event log" in run.err and "line 1: not valid JSON" in run.err
    assert preflight("report", tmp_path / "absent.jsonl").status == 2
    json_but_not_events = tmp_path / "preview-output.json"
    json_but_not_events.write_text('{"steps": [], "duration": 1}\n')
    run = preflight("report", json_but_not_events)
    assert run.status == 2 and "no engine events found" in run.err
