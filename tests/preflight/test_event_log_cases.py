"""`preflight report` fails closed: one test per class of event log it cannot read or judge in full.

Each log is written for its case: a minimal dev or prod preview in the shape pulumi's
sdk/go/common/apitype/events.go gives engine events, then the one thing that is wrong with it.
"""
from __future__ import annotations

import codecs
import itertools
import json
from pathlib import Path

import pytest

from policies.pack import PACK_NAME, PACK_VERSION
from preflight.event_log import MAX_LISTED_ERRORS

RETENTION = "cloudwatch-log-group-retention"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PACK = {"policyPackName": PACK_NAME, "policyPackVersion": PACK_VERSION, "policyPackVersionTag": PACK_VERSION}


def urn(stack: str = "dev", name: str = "network-flow-logs") -> str:
    return f"urn:pulumi:{stack}::devsecops-platform::devsecops:network:Network${LOG_GROUP}::{name}"


def resource_pre(stack: str = "dev") -> dict:
    state = {"type": LOG_GROUP, "urn": urn(stack), "custom": True, "id": "", "parent": "", "provider": "",
             "inputs": {"name": f"/aws/vpc/devsecops-{stack}/flow-logs", "retentionInDays": 14}, "outputs": {}}
    return {"resourcePreEvent": {"metadata": {"op": "create", "urn": urn(stack), "type": LOG_GROUP, "provider": "",
                                              "new": state, "detailedDiff": None}}}


def policy_event(level: str = "advisory", policy: str = RETENTION, stack: str = "dev",
                 message: str = "Log groups keep logs for the required period.\nretentionInDays 14 is below the required 30",
                 **pack: str) -> dict:
    return {"policyEvent": {"resourceUrn": urn(stack), "message": message, "color": "never", "policyName": policy,
                            **PACK, **pack, "enforcementLevel": level}}


def summary(packs: dict | None = None, key: str = "PolicyPacks") -> dict:
    # The engine writes "PolicyPacks" (apitype.SummaryEvent's JSON tag) and, from some versions on, "v" + version.
    return {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": 9, "resourceChanges": {"create": 1},
                             key: {PACK_NAME: f"v{PACK_VERSION}"} if packs is None else packs, "isPreview": True}}


def preview(stack: str = "dev", level: str = "advisory") -> list[dict]:
    """A whole preview with one violation: dev passes (advisory), prod at mandatory fails."""
    return [{"preludeEvent": {"config": {"devsecops-platform:environment": stack}}}, resource_pre(stack),
            policy_event(level, stack=stack), summary(), {"cancelEvent": {}}]


def write_log(path: Path, events: list) -> Path:
    """One event per line: a dict as the engine encodes it (with sequence and timestamp), text or bytes as is."""
    lines = []
    for number, event in enumerate(events):
        if isinstance(event, dict):
            event = json.dumps({"sequence": number, "timestamp": 1764316800 + number, **event})
        lines.append(event if isinstance(event, bytes) else event.encode())
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def log(tmp_path):
    count = itertools.count()
    return lambda events: write_log(tmp_path / f"preview-{next(count)}.events.jsonl", events)


def errors_of(run) -> list[tuple[int | None, str]]:
    document = run.json()
    assert document["summary"]["verdict"] == "error" and run.status == 2
    return [(e["line"], e["message"]) for e in document["errors"]]


def assert_no_traceback(run) -> None:
    assert "Traceback" not in run.err and "unexpected failure" not in run.err


# -- the log as written by a real preview ------------------------------------------------------

def test_a_complete_dev_preview_passes_and_a_mandatory_violation_fails(preflight, log):
    passing = preflight("report", log(preview()), "--format", "json")
    assert passing.status == 0 and passing.json()["errors"] == []
    assert [v["policy"] for v in passing.json()["violations"]] == [RETENTION]
    failing = preflight("report", log(preview("prod", "mandatory")), "--format", "json")
    assert failing.status == 1 and failing.json()["summary"]["mandatory"] == 1


# -- reading: whole-file problems are usage errors ---------------------------------------------

def test_a_file_with_no_engine_event_is_not_an_event_log(preflight, log, tmp_path):
    for events in ([], ['{"steps": [], "duration": 1}'], ["[1, 2]", "not json"]):
        run = preflight("report", log(events))
        assert run.status == 2 and "no engine events found" in run.err and run.out == ""
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert preflight("report", empty).status == 2


def test_non_utf8_bytes_are_an_error_naming_the_line(preflight, log):
    path = log(preview()[:2] + [b'{"diagnosticEvent": {"message": "caf\xe9", "color": "never", "severity": "info"}}']
               + preview()[2:])
    run = preflight("report", path)
    assert run.status == 2 and f"{path.as_posix()}:3: not UTF-8" in run.err
    assert_no_traceback(run)


def test_utf16_with_a_byte_order_mark_is_read_and_without_one_is_not(preflight, log, tmp_path):
    text = log(preview()).read_text()
    marked = tmp_path / "utf16-bom.jsonl"
    marked.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert preflight("report", marked).status == 0
    bare = tmp_path / "utf16.jsonl"
    bare.write_bytes(text.encode("utf-16-le"))
    assert preflight("report", bare).status == 2


def test_a_log_past_the_size_limit_is_not_read(preflight, log):
    run = preflight("report", log(preview()), "--max-file-bytes", "200")
    assert run.status == 2 and "larger than 200 bytes" in run.err


# -- reading: one line is an error, the rest of the log is still reported ----------------------

@pytest.mark.parametrize("line, why", [
    ("[" * 5000 + "]" * 5000, "nested deeper than"),
    ('{"sequence": ' + "9" * 5000 + ', "cancelEvent": {}}', "not valid JSON"),
    ('{"policyEvent": ', "not valid JSON"),
    ("[]", "a list where an engine event"),
    ('"policyEvent"', "a string where an engine event"),
    ("12", "a whole number where an engine event"),
    ("null", "null where an engine event"),
    ('{"sequence": 3}', "exactly one event field; this line has 0"),
    ('{"policyEvent": {}, "summaryEvent": {}}', "this line has 2"),
    ('{"policyViolationEvent": {"policyName": "x"}}', "unknown event kind 'policyViolationEvent'"),
    ('{"policyRemediateEvent": {}}', "unknown event kind"),
    ('{"sequence": "4", "cancelEvent": {}}', "sequence is a string, expected a whole number"),
    ('{"policyEvent": "mandatory"}', "policyEvent is a string, expected an object"),
    ('{"cancelEvent": {}, "cancelEvent": {}}', "duplicate key 'cancelEvent'"),
    ('{"diagnosticEvent": {"message": "x", "severity": "info", "severity": "error"}}', "duplicate key 'severity'"),
    ('{"sequence": NaN, "cancelEvent": {}}', "NaN is not JSON"),
    ('{"sequence": 1, "cancelEvent": {"at": -Infinity}}', "-Infinity is not JSON"),
])
def test_a_line_that_is_not_an_engine_event_is_an_error_and_the_violations_stay(preflight, log, line, why):
    events = preview()
    run = preflight("report", log(events[:2] + [line] + events[2:]), "--format", "json")
    assert_no_traceback(run)
    assert [line for line, message in errors_of(run) if why in message] == [3]
    assert [v["policy"] for v in run.json()["violations"]] == [RETENTION]


def _pre(**metadata) -> dict:
    event = resource_pre()
    event["resourcePreEvent"]["metadata"].update(metadata)
    return event


def _state(**state) -> dict:
    event = resource_pre()
    event["resourcePreEvent"]["metadata"]["new"].update(state)
    return event


@pytest.mark.parametrize("event, why", [
    ({"policyEvent": {**policy_event()["policyEvent"], "policyName": 5}}, "policyName is a whole number, expected a string"),
    ({"policyEvent": {**policy_event()["policyEvent"], "message": ["x"]}}, "message is a list"),
    ({"policyEvent": {**policy_event()["policyEvent"], "enforcementLevel": 2}}, "enforcementLevel is a whole number"),
    ({"policyEvent": {**policy_event()["policyEvent"], "resourceUrn": {"urn": 1}}}, "resourceUrn is an object"),
    ({"policyEvent": {**policy_event()["policyEvent"], "resourceUrn": "arn:aws:kms:key"}}, "is not a Pulumi URN"),
    ({"policyEvent": {**policy_event()["policyEvent"], "policyPackName": ""}}, "policyPackName is empty"),
    (_pre(op="frobnicate"), "metadata.op 'frobnicate' is not a step the engine writes"),
    (_pre(op=None), "metadata.op is missing"),
    (_pre(op=7), "metadata.op is a whole number"),
    ({"resourcePreEvent": {}}, "metadata is missing"),
    ({"resOutputsEvent": {"metadata": "create"}}, "metadata is a string, expected an object"),
    (_pre(urn=""), "metadata.urn is empty"),
    (_pre(new=None), "neither a new nor an old state"),
    (_pre(new=[]), "metadata.new is a list"),
    (_state(inputs=["retentionInDays", 14]), "inputs is a list, expected an object"),
    (_state(protect="yes"), "protect is a string, expected true or false"),
    (_state(urn=urn(name="other")), "the state's urn differs from metadata.urn"),
    (_pre(urn="urn:pulumi:../../etc::p::t::n"), "which is not a stack name"),
    ({"policyAnalyzeSummaryEvent": {**PACK, "resourceUrn": urn(), "failed": [1]}}, "failed holds a whole number"),
    ({"policyRemediationEvent": {"resourceUrn": urn(), "policyName": RETENTION}}, "policyPackName is missing"),
])
def test_an_event_with_wrong_types_or_missing_metadata_is_an_error_for_its_line(preflight, log, event, why):
    events = preview()
    run = preflight("report", log(events[:2] + [event] + events[2:]), "--format", "json")
    assert_no_traceback(run)
    assert [line for line, message in errors_of(run) if why in message] == [3]


def test_a_json_string_may_hold_line_separators_other_than_newline(preflight, log):
    events = preview()
    events[2]["policyEvent"]["message"] += " \u2028\u2029\x85 (policy text)"
    raw = json.dumps({"sequence": 2, **events[2]}, ensure_ascii=False)
    run = preflight("report", log(events[:2] + [raw] + events[3:]), "--format", "json")
    assert run.status == 0 and len(run.json()["violations"]) == 1


def test_what_the_engine_reports_as_broken_is_an_error(preflight, log):
    failed_step = {"resOpFailedEvent": {**resource_pre()["resourcePreEvent"], "status": 1, "steps": 0}}
    internal = {"errorEvent": {"error": "analyzer crashed"}}
    run = preflight("report", log(preview()[:2] + [failed_step, internal] + preview()[2:]), "--format", "json")
    messages = dict(errors_of(run))
    assert "step 'create' failed" in messages[3] and "analyzer crashed" in messages[4]


def diagnostic(message: str, severity: str = "error") -> dict:
    return {"diagnosticEvent": {"urn": "", "prefix": f"{severity}: ", "message": message, "color": "raw", "severity": severity}}


def test_an_error_diagnostic_means_the_preview_stopped_before_judging_everything(preflight, log):
    # A policy pack that crashed analysing a resource leaves no violation, only the engine's error.
    crashed = diagnostic("failed to run policy: ValueError in k8s-no-privileged\n")
    run = preflight("report", log(preview()[:3] + [crashed, diagnostic("preview failed\n")] + preview()[3:]), "--format", "json")
    assert {line for line, m in errors_of(run) if "the engine reports an error" in m} == {4, 5}
    # Warnings and the program's own stderr are no such sign.
    chatter = [diagnostic("deprecated input\n", "warning"), diagnostic("log line\n", "info#err")]
    assert preflight("report", log(preview()[:3] + chatter + preview()[3:])).status == 0


def test_the_engine_verdict_on_a_mandatory_violation_is_not_an_error(preflight, log):
    verdict = diagnostic("<{%reset%}>preview failed<{%reset%}>\n")
    events = preview("prod", "mandatory")
    assert preflight("report", log(events[:3] + [verdict] + events[3:])).status == 1


def test_a_log_without_resource_steps_judged_nothing(preflight, log):
    run = preflight("report", log([policy_event(), summary()]), "--stack", "dev", "--format", "json")
    assert (None, "no resource step events: the preview registered nothing, so nothing was judged") in errors_of(run)


def test_one_log_holds_one_preview_of_one_stack(preflight, log):
    two_stacks = preflight("report", log(preview() + [resource_pre("prod")]), "--format", "json")
    assert any(line == 6 and "of stack 'prod', but line 2 is of stack 'dev'" in m for line, m in errors_of(two_stacks))
    two_summaries = preflight("report", log(preview() + [summary()]), "--format", "json")
    assert any(line == 6 and "a second summary event (line 4" in m for line, m in errors_of(two_summaries))


def test_errors_past_the_listing_limit_are_counted_not_listed(preflight, log):
    junk = ["{}"] * (MAX_LISTED_ERRORS + 50)
    run = preflight("report", log(preview() + junk), "--format", "json")
    errors = run.json()["errors"]
    assert len(errors) == MAX_LISTED_ERRORS + 1 and errors[-1]["message"] == "50 more errors not listed"
    assert run.json()["summary"]["verdict"] == "error"


# -- the pack must have run, and be this pack at this version ----------------------------------

def test_a_log_with_only_a_summary_and_no_pack_is_an_error(preflight, log):
    for packs in ({}, None):
        event = summary({})
        if packs is None:
            del event["summaryEvent"]["PolicyPacks"]
        messages = [m for _, m in errors_of(preflight("report", log([event]), "--stack", "dev", "--format", "json"))]
        assert any(f"the policy pack {PACK_NAME} did not run" in m and "no policy pack" in m for m in messages)


def test_a_log_of_another_pack_or_another_version_is_an_error(preflight, log):
    other_pack = preflight("report", log(preview()[:-2] + [summary({"org-baseline": "2.0.0"})]), "--format", "json")
    assert any("did not run" in m and "org-baseline 2.0.0" in m for _, m in errors_of(other_pack))
    old = preview()[:-2] + [summary({PACK_NAME: "0.9.0"})]
    assert any(line == 4 and "version '0.9.0'" in m for line, m in errors_of(preflight("report", log(old), "--format", "json")))
    old_events = preview()
    old_events[2] = policy_event(policyPackVersion="0.9.0")
    assert any(line == 3 and "version '0.9.0'" in m
               for line, m in errors_of(preflight("report", log(old_events), "--format", "json")))


def test_the_summary_key_is_read_as_the_engine_writes_it_in_any_case(preflight, log):
    for key in ("PolicyPacks", "policyPacks"):
        assert preflight("report", log(preview()[:-2] + [summary(key=key)])).status == 0
    both = summary()
    both["summaryEvent"]["policyPacks"] = {PACK_NAME: PACK_VERSION}
    assert any("names its policy packs twice" in m
               for _, m in errors_of(preflight("report", log(preview()[:-2] + [both]), "--format", "json")))


def test_a_log_cut_short_before_its_summary_is_an_error(preflight, log):
    run = preflight("report", log(preview()[:3]), "--format", "json")
    assert (None, "no summary event: the preview did not finish, or the log was cut short") in errors_of(run)


def test_a_failed_policy_in_an_analysis_summary_needs_its_violation(preflight, log):
    analysis = {"policyAnalyzeSummaryEvent": {**PACK, "resourceUrn": urn(), "passed": [], "failed": [RETENTION]}}
    kept = preview()[:3] + [analysis] + preview()[3:]
    assert preflight("report", log(kept)).status == 0
    dropped = preview()[:2] + [analysis] + preview()[3:]
    assert any(line == 3 and "holds no violation of it" in m
               for line, m in errors_of(preflight("report", log(dropped), "--format", "json")))


# -- enforcement levels ------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["mandatory", "MANDATORY", "Mandatory", " mandatory ", "remediate"])
def test_levels_are_read_case_insensitively_and_remediate_counts_as_mandatory(preflight, log, level):
    run = preflight("report", log(preview("dev", level)), "--format", "json")
    assert run.status == 1 and run.json()["violations"][0]["enforcementLevel"] == "mandatory"


@pytest.mark.parametrize("level", ["warning", "critical", "", "none"])
def test_an_unknown_or_missing_level_counts_as_mandatory_and_is_an_error(preflight, log, level):
    events = preview()
    events[2] = policy_event(level)
    if not level:
        del events[2]["policyEvent"]["enforcementLevel"]
    run = preflight("report", log(events), "--format", "json")
    assert run.json()["summary"]["mandatory"] == 1
    assert any(line == 3 and "counted as mandatory" in m for line, m in errors_of(run))


def test_a_level_weaker_than_the_stack_pack_config_is_an_error(preflight, log):
    # prod.json: kms-key-policy-no-wildcard-principal is mandatory; the log says advisory.
    events = preview("prod", "advisory")
    events[2] = policy_event("advisory", "kms-key-policy-no-wildcard-principal", "prod", "d\nPrincipal is *")
    messages = [m for line, m in errors_of(preflight("report", log(events), "--format", "json")) if line == 3]
    assert messages == ["kms-key-policy-no-wildcard-principal on " + urn("prod") + " was reported advisory, but the "
                        "pack config of stack 'prod' requires mandatory: the preview ran with another pack config"]
    # Stronger than required is not an error: prod.json keeps retention advisory, the log says mandatory.
    assert preflight("report", log(preview("prod", "mandatory"))).status == 1


def test_a_disabled_violation_where_the_config_enables_the_rule_is_an_error(preflight, log):
    run = preflight("report", log(preview("dev", "disabled")), "--format", "json")
    assert any("was reported disabled, but" in m and "requires advisory" in m for _, m in errors_of(run))


def test_the_stack_asked_for_must_be_the_stack_of_the_log(preflight, log, tmp_path):
    dev_log = log(preview())
    assert any("the log is of stack 'dev', but --stack says 'prod'" in m
               for _, m in errors_of(preflight("report", dev_log, "--stack", "prod", "--format", "json")))
    named = preflight("report", dev_log, "--stack-file", "Pulumi.prod.yaml", "--format", "json")
    assert any("--stack-file Pulumi.prod.yaml is for stack 'prod'" in m for _, m in errors_of(named))
    assert preflight("report", dev_log, "--stack", "dev").status == 0
    bad_name = preflight("report", dev_log, "--stack", "../../etc/passwd")
    assert bad_name.status == 2 and "is not a stack name" in bad_name.err


def test_a_stack_without_stack_file_or_pack_config_is_an_error(preflight, log):
    qa_log = log(preview("qa"))
    assert any("no stack file for stack 'qa'" in m for _, m in errors_of(preflight("report", qa_log, "--format", "json")))
    assert preflight("report", qa_log, "--policy-pack-config", "policies/config/dev.json").status == 0
    no_stack = log([policy_event() | {"policyEvent": {**policy_event()["policyEvent"], "resourceUrn": ""}}, summary()])
    assert any("the log names no stack" in m for _, m in errors_of(preflight("report", no_stack, "--format", "json")))


# -- what the rules reported -------------------------------------------------------------------

def test_a_rule_that_cannot_judge_its_input_is_an_error_not_a_violation(preflight, log):
    events = preview()
    events[2] = policy_event(message="Log groups keep logs for the required period.\ncannot judge: retentionInDays is a list")
    run = preflight("report", log(events), "--format", "json")
    assert run.json()["violations"] == [] and RETENTION not in run.json()["passed"]
    assert any(line == 3 and f"{RETENTION} could not judge" in m and "retentionInDays is a list" in m
               for line, m in errors_of(run))


def test_violations_of_rules_the_pack_does_not_know_are_kept_and_are_an_error(preflight, log):
    events = preview()
    events[2:2] = [policy_event(policy="s3-no-public-buckets"), policy_event(policy=RETENTION, policyPackName="org-baseline")]
    run = preflight("report", log(events), "--format", "json")
    assert {v["policy"] for v in run.json()["violations"]} == {"s3-no-public-buckets", "org-baseline/" + RETENTION, RETENTION}
    messages = dict(errors_of(run))
    assert "not a rule of devsecops-platform" in messages[3] and "org-baseline/" in messages[4]
