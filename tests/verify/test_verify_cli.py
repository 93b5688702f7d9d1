"""`python -m preflight verify`: live evidence in the shared report formats; errors never pass."""
from __future__ import annotations

import json

import jsonschema

from moto_server import FAKE_CREDENTIALS
from preflight.__main__ import main
from preflight.stack_files import PROJECT_ROOT
from verify_account import build_account

REPORT_SCHEMA = json.loads((PROJECT_ROOT / "preflight" / "report.schema.json").read_text())


def use_fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_CREDENTIALS["aws_secret_access_key"])


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr()


def test_compliant_account_passes_every_control_in_the_json_report(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(build_account(aws.endpoint_url)))

    code, captured = run(capsys, "verify", "--outputs", outputs, "--stack", "dev", "--endpoint-url", aws.endpoint_url, "--format", "json")

    document = json.loads(captured.out)
    jsonschema.validate(document, REPORT_SCHEMA)
    assert code == 0
    assert document["kind"] == "verify" and document["stack"] == "dev"
    assert document["violations"] == [] and document["errors"] == []
    assert set(document["passed"]) == {p["name"] for p in document["policies"]}
    assert all(r["inputs"]["status"] == "pass" for r in document["resources"])


def test_a_setting_that_disagrees_with_the_account_fails_its_rule_with_evidence(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(build_account(aws.endpoint_url)))

    code, captured = run(capsys, "verify", "--outputs", outputs, "--endpoint-url", aws.endpoint_url,
                         "--set", "clusterLogRetentionDays=365", "--format", "json")

    violations = json.loads(captured.out)["violations"]
    assert code == 1
    assert [v["policy"] for v in violations] == ["cloudwatch-log-group-retention"]
    assert "evidence:" in violations[0]["message"]


def test_unreadable_controls_are_errors_that_fail_the_run(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"region": "eu-west-1", "clusterName": "absent"}))

    code, captured = run(capsys, "verify", "--outputs", outputs, "--endpoint-url", aws.endpoint_url, "--format", "markdown")

    assert code == 2  # unread evidence: verdict error, which outranks any violation
    assert "### Errors" in captured.out
    assert "## ❌" in captured.out


def test_missing_outputs_file_is_a_usage_error(tmp_path, capsys):
    code, captured = run(capsys, "verify", "--outputs", tmp_path / "absent.json")
    assert code == 2 and "pulumi stack output --json" in captured.err


def test_stack_outputs_are_read_with_the_pulumi_cli_when_no_file_is_given(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    saved = tmp_path / "outputs.json"
    saved.write_text(json.dumps(build_account(aws.endpoint_url)))
    # A stand-in `pulumi` that answers `pulumi stack output --json --stack dev` from the saved outputs.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(f'#!/bin/sh\n[ "$*" = "stack output --json --stack dev" ] || exit 3\ncat "{saved}"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")

    code, captured = run(capsys, "verify", "--stack", "dev", "--endpoint-url", aws.endpoint_url, "--format", "json")

    assert code == 0, captured.err
    assert json.loads(captured.out)["summary"]["verdict"] == "pass"


def test_without_outputs_or_pulumi_cli_verify_says_what_to_give(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, captured = run(capsys, "verify", "--stack", "dev")
    assert code == 2 and "--outputs" in captured.err
