"""`evidence`: the joined report in every format, its inputs and a SHA256SUMS; `evidence verify`
fails when any byte of any file changed, or a file was added or removed."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from preflight.evaluation import Violation
from preflight.evidence_verify import bundle_files, verify_bundle
from preflight.formats import renderer
from preflight.report import Report
from preflight.stack_files import PROJECT_ROOT
from waiver_files import waiver_file  # noqa: F401 - the fixture

FIXTURES = Path(__file__).parent / "fixtures"
LOG = FIXTURES / "preview-dev-advisory.events.jsonl"
REPORTS = FIXTURES / "policyreports-dev.json"
SCHEMA = json.loads((PROJECT_ROOT / "preflight" / "report.schema.json").read_text())
EXPECTED = ["SHA256SUMS", "bundle.json", "inputs/Pulumi.dev.yaml", "inputs/policy-pack-config.json",
            "inputs/waivers.yaml", "report.html", "report.json", "report.md", "report.sarif", "report.txt"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """One bundle of the dev stack's offline check, made once: tests change copies of it."""
    from preflight.__main__ import main

    out = tmp_path_factory.mktemp("evidence") / "dev"
    assert main(["evidence", "--stack", "dev", "--out", str(out)]) == 0
    return out


@pytest.fixture
def copy(bundle, tmp_path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(bundle, target, symlinks=True)
    return target


def verify_report(stack: str, tmp_path: Path, failing: bool = True) -> Path:
    """What `preflight verify --format json` writes: one failed control, the rest passed."""
    violations = (Violation("kms-key-rotation", "high", "mandatory", "arn:aws:kms:eu-west-1:111111111111:key/logs",
                            "key rotation is off\nevidence: {\"KeyRotationEnabled\": false}"),) if failing else ()
    report = Report(kind="verify", stack=stack, policy_pack="devsecops-platform", policy_pack_version="1.0.0",
                    resources=(), policies=(), violations=violations, passed=("s3-versioning", "ecr-scan-on-push"))
    path = tmp_path / f"verify-{stack}.json"
    path.write_text(renderer("json")(report))
    return path


def test_a_bundle_holds_every_format_its_inputs_and_the_sums(bundle):
    assert bundle_files(bundle) == EXPECTED
    listed = [line.split("  ", 1)[1] for line in (bundle / "SHA256SUMS").read_text().splitlines()]
    assert listed == [name for name in EXPECTED if name != "SHA256SUMS"]
    document = json.loads((bundle / "report.json").read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["kind"] == "evidence" and document["summary"]["verdict"] == "pass" and document["compliance"]
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["stack"] == "dev" and meta["verdict"] == "pass" and meta["inputs"]["waivers"] == "inputs/waivers.yaml"
    assert (bundle / "inputs" / "Pulumi.dev.yaml").read_bytes() == (PROJECT_ROOT / "Pulumi.dev.yaml").read_bytes()


def test_coreutils_sha256sum_checks_the_same_list(bundle):
    checked = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=bundle, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_evidence_verify_passes_an_untouched_bundle_and_its_signature(preflight, copy):
    (copy / "SHA256SUMS.sig").write_bytes(b"MEUCIQ...")  # cosign sign-blob's output, checked by cosign verify-blob
    run = preflight("evidence", "verify", copy)
    assert run.status == 0 and run.out.strip().endswith("9 files checked; bundle verified")


@pytest.mark.parametrize("name", [n for n in EXPECTED])
@pytest.mark.parametrize("where", ["first", "last"])
def test_any_byte_of_any_file_changed_fails(preflight, copy, name, where):
    path = copy / name
    data = bytearray(path.read_bytes())
    index = 0 if where == "first" else len(data) - 2  # the last line's content, before its newline
    data[index] = data[index] ^ 0x01
    path.write_bytes(bytes(data))
    run = preflight("evidence", "verify", copy)
    assert run.status == 2 and "NOT verified" in run.out
    if name != "SHA256SUMS":  # a changed list names the entry it no longer matches instead
        assert f"FAIL       {name}: its SHA-256 differs from SHA256SUMS" in run.out


@pytest.mark.parametrize("added", ["extra.txt", "inputs/extra.json", "SHA256SUMS.sig/inside"])
def test_a_file_added_fails(preflight, copy, added):
    path = copy / added
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    run = preflight("evidence", "verify", copy)
    assert run.status == 2 and f"{added}: in the bundle but not in SHA256SUMS" in run.out


@pytest.mark.parametrize("removed", ["report.html", "inputs/waivers.yaml", "SHA256SUMS"])
def test_a_file_removed_fails(preflight, copy, removed):
    (copy / removed).unlink()
    run = preflight("evidence", "verify", copy)
    assert run.status == 2 and removed in run.out


def test_a_file_replaced_by_a_link_fails_even_to_identical_bytes(preflight, copy, tmp_path):
    outside = tmp_path / "outside.html"
    outside.write_bytes((copy / "report.html").read_bytes())
    (copy / "report.html").unlink()
    (copy / "report.html").symlink_to(outside)
    assert "report.html: a symbolic link" in preflight("evidence", "verify", copy).out


def test_sums_naming_a_path_outside_the_bundle_fail(copy):
    sums = copy / "SHA256SUMS"
    sums.write_text(sums.read_text() + f"{'0' * 64}  ../../etc/passwd\n")
    assert any("is not a file inside the bundle" in p for p in verify_bundle(copy).problems)


def test_a_bundle_joins_the_event_log_policy_reports_and_verify(preflight, tmp_path, waiver_file):
    waiver_file([])
    out = tmp_path / "joined"
    run = preflight("evidence", "--stack", "dev", "--out", out, "--event-log", LOG, "--policy-reports", REPORTS,
                    "--verify", verify_report("dev", tmp_path))
    assert run.status == 1  # the live control that failed is a mandatory violation
    document = json.loads((out / "report.json").read_text())
    assert {e["source"] for e in document["evidence"]} == {"admission", "live"}
    assert ("kms-key-rotation", "mandatory") in {(v["policy"], v["enforcementLevel"]) for v in document["violations"]}
    assert {"inputs/preview-dev-advisory.events.jsonl", "inputs/policyreports-dev.json", "inputs/verify-dev.json"} <= set(bundle_files(out))
    assert verify_bundle(out).ok


def test_a_verify_report_of_another_stack_is_an_error(preflight, tmp_path, waiver_file):
    waiver_file([])
    out = tmp_path / "joined"
    run = preflight("evidence", "--stack", "dev", "--out", out, "--event-log", LOG, "--verify",
                    verify_report("prod", tmp_path, failing=False))
    assert run.status == 2
    errors = json.loads((out / "report.json").read_text())["errors"]
    assert any("the verify report is of stack 'prod'" in e["message"] for e in errors)


def test_a_file_that_is_not_a_verify_report_is_a_usage_error(preflight, tmp_path):
    (tmp_path / "v.json").write_text(json.dumps({"kind": "check", "schemaVersion": "2.1"}))
    run = preflight("evidence", "--stack", "dev", "--out", tmp_path / "o", "--event-log", LOG, "--verify", tmp_path / "v.json")
    assert run.status == 2 and "expected the JSON report of preflight verify" in run.err


def test_history_draws_the_trend_from_earlier_bundles_that_verify(preflight, tmp_path, waiver_file):
    waiver_file([])
    history = tmp_path / "history"
    for name in ("20300501T080000Z", "20300515T080000Z"):
        assert preflight("evidence", "--stack", "dev", "--out", history / name, "--event-log", LOG).status == 0
    out = tmp_path / "now"
    assert preflight("evidence", "--stack", "dev", "--out", out, "--event-log", LOG, "--history", history).status == 0
    document = json.loads((out / "report.json").read_text())
    assert len(document["history"]) == 2 and document["history"][0]["bySeverity"]["medium"] == 1
    assert "<polyline" in (out / "report.html").read_text()


def test_an_edited_earlier_bundle_is_an_error_not_a_point_of_the_trend(preflight, tmp_path, waiver_file):
    waiver_file([])
    history = tmp_path / "history"
    assert preflight("evidence", "--stack", "dev", "--out", history / "b1", "--event-log", LOG).status == 0
    report = history / "b1" / "report.json"
    report.write_text(report.read_text().replace('"medium": 1', '"medium": 0'))
    run = preflight("evidence", "--stack", "dev", "--out", tmp_path / "now", "--event-log", LOG, "--history", history)
    assert run.status == 2
    document = json.loads((tmp_path / "now" / "report.json").read_text())
    assert document["history"] == [] and "earlier bundle does not verify" in document["errors"][0]["message"]


def test_a_bundle_is_written_once_into_a_new_directory(preflight, bundle):
    run = preflight("evidence", "--stack", "dev", "--out", bundle)
    assert run.status == 2 and "exists and is not an empty directory" in run.err


def test_evidence_needs_a_stack_and_a_directory(preflight):
    run = preflight("evidence", "--stack", "dev")
    assert run.status == 2 and "evidence needs --stack NAME and --out DIR" in run.err
