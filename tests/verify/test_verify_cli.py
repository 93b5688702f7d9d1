"""`python -m preflight.verify`: reads the outputs file, takes overrides, exits 0 only if all pass."""
from __future__ import annotations

import json

from moto_server import FAKE_CREDENTIALS
from preflight.verify.__main__ import main
from verify_account import build_account


def use_fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_CREDENTIALS["aws_secret_access_key"])


def test_outputs_file_of_a_compliant_account_exits_zero(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(build_account(aws.endpoint_url)))

    code = main(["--outputs", str(outputs), "--endpoint-url", aws.endpoint_url, "--json"])

    results = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {r["status"] for r in results} == {"pass"}


def test_an_override_that_disagrees_with_the_account_exits_non_zero(aws, tmp_path, monkeypatch, capsys):
    use_fake_credentials(monkeypatch)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(build_account(aws.endpoint_url)))

    code = main(["--outputs", str(outputs), "--endpoint-url", aws.endpoint_url, "--set", "clusterLogRetentionDays=365"])

    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert code == 1
    assert len(failed) == 1 and "cloudwatch-log-group-retention" in failed[0]
