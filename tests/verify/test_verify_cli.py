"""`python -m preflight verify`: live evidence in the shared report formats; errors never pass.

What must exist comes from the stack's settings (`--stack-file`, the dev stack in moto's account);
the outputs are checked against them.
"""
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


def test_compliant_account_passes_every_control_in_the_json_report(aws, stack_file, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(build_account(aws.endpoint_url)))

    code, captured = run(capsys, "verify", "--stack-file", stack_file, "--outputs", outputs,
                         "--endpoint-url", aws.endpoint_url, "--format", "json")

    document = json.loads(captured.out)
    jsonschema.validate(document, REPORT_SCHEMA)
    assert code == 0, document["errors"]
    assert document["kind"] == "verify" and document["stack"] == "dev"
    assert document["violations"] == [] and document["errors"] == []
    assert set(document["passed"]) == {p["name"] for p in document["policies"]}
    assert all(r["inputs"]["status"] == "pass" for r in document["resources"])


def test_without_stack_settings_a_complete_compliant_outputs_file_is_still_an_error(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(build_account(aws.endpoint_url)))

    code, captured = run(capsys, "verify", "--outputs", outputs, "--endpoint-url", aws.endpoint_url, "--format", "json")

    document = json.loads(captured.out)
    assert code == 2
    assert [e["message"] for e in document["errors"]] == [
        "no stack settings given (--stack or --stack-file), so what must exist is unknown and the outputs "
        "cannot stand in for it: the verdict cannot be pass"]
    assert document["errors"][0]["path"] == outputs.as_posix()
    # What the outputs name is still read, as evidence.
    assert {r["inputs"]["status"] for r in document["resources"]} == {"pass"}


def test_without_stack_settings_an_empty_outputs_file_names_what_is_missing(tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text("{}")

    code, captured = run(capsys, "verify", "--outputs", outputs, "--endpoint-url", "http://127.0.0.1:9", "--format", "json")

    messages = [e["message"] for e in json.loads(captured.out)["errors"]]
    assert code == 2
    assert any(m.startswith("the outputs give no region, accountId, clusterName") and "ecrRepositoryNames" in m
               for m in messages)


def test_unreadable_controls_are_errors_that_fail_the_run(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"region": "eu-west-1", "clusterName": "absent"}))

    code, captured = run(capsys, "verify", "--outputs", outputs, "--endpoint-url", aws.endpoint_url, "--format", "markdown")

    assert code == 2  # unread evidence: verdict error, which outranks any violation
    assert "### Errors" in captured.out
    assert "ResourceNotFoundException" in captured.out


def test_missing_outputs_file_is_a_usage_error(tmp_path, capsys):
    code, captured = run(capsys, "verify", "--outputs", tmp_path / "absent.json")
    assert code == 2 and "pulumi stack output --json" in captured.err


def test_verify_with_nothing_to_check_says_what_to_give(capsys):
    code, captured = run(capsys, "verify")
    assert code == 2 and "--stack" in captured.err and "--outputs" in captured.err


def test_stack_outputs_are_read_with_the_pulumi_cli_when_no_file_is_given(aws, stack_file, tmp_path, monkeypatch, capsys):
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

    code, captured = run(capsys, "verify", "--stack-file", stack_file, "--endpoint-url", aws.endpoint_url, "--format", "json")

    assert code == 0, captured.err
    assert json.loads(captured.out)["summary"]["verdict"] == "pass"


def test_without_outputs_or_pulumi_cli_verify_says_what_to_give(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, captured = run(capsys, "verify", "--stack", "dev")
    assert code == 2 and "--outputs" in captured.err
