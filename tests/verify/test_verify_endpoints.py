"""An endpoint that is not AWS, or does not answer: every control is an error (never a pass, never
a fail, never a crash), and a dead endpoint costs one bounded wait, not one per control."""
from __future__ import annotations

import json
import time

import boto3
import pytest
from botocore.config import Config

from moto_server import FAKE_CREDENTIALS
from not_aws import answering, closed_port, silent
from preflight.__main__ import main
from preflight.verify import VERIFY_RULES, StackOutputs, Status, account, verify
from verify_account import ACCOUNT_ID, KEY_ROLES, REGION, stack_outputs

KEYS = {role: f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0000000{n}-0000-0000-0000-000000000000" for n, role in enumerate(KEY_ROLES)}

# What a proxy, a captive portal or a misconfigured endpoint answers, for every request, with 200.
NOT_AWS = {
    "an HTML page": (b"<!DOCTYPE html>\n<html><body>Sign in to continue</body></html>", "text/html"),
    "an HTML page that says it is XML": (b"<?xml version='1.0'?><html><body>proxy</body></html>", "application/xml"),
    "bytes that are no text": (b"\x00\xff\xfe garbage", "application/json"),
    "JSON that is no object": (b"[1, 2, 3]", "application/x-amz-json-1.1"),
    "an empty JSON object": (b"{}", "application/json"),
}


def run_verify(endpoint_url: str) -> list:
    session = boto3.session.Session(**FAKE_CREDENTIALS)
    return verify(StackOutputs(stack_outputs(KEYS)), session=session, endpoint_url=endpoint_url)


def assert_every_control_is_an_error(results: list) -> None:
    assert {r.rule for r in results} == set(VERIFY_RULES)
    assert [(r.rule, r.status, r.message) for r in results if r.status is not Status.ERROR] == []


@pytest.mark.parametrize("case", sorted(NOT_AWS))
def test_an_endpoint_that_is_not_aws_makes_every_control_an_error(case):
    with answering(*NOT_AWS[case]) as url:
        results = run_verify(url)

    assert_every_control_is_an_error(results)


def test_a_refused_connection_makes_every_control_an_error():
    assert_every_control_is_an_error(run_verify(closed_port()))


def test_an_endpoint_that_never_answers_costs_one_bounded_wait(monkeypatch):
    # Shorter waits than the shipped ones, so the test is quick; the bound holds for any wait.
    monkeypatch.setattr(account, "CLIENT_CONFIG", Config(connect_timeout=1, read_timeout=1,
                                                         retries={"total_max_attempts": 2, "mode": "standard"}))
    with silent() as url:
        started = time.monotonic()
        results = run_verify(url)
        elapsed = time.monotonic() - started

    assert_every_control_is_an_error(results)
    # Two attempts of one second and a backoff under a second, once for the host; not once per read.
    assert elapsed < 6, f"{elapsed:.1f} s"


def test_the_shipped_waits_bound_a_dead_host_to_half_a_minute():
    config = account.CLIENT_CONFIG
    attempts = config.retries["total_max_attempts"]

    assert (config.connect_timeout + config.read_timeout) * attempts <= 30


def test_verify_against_an_html_endpoint_exits_2_with_every_control_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_CREDENTIALS["aws_secret_access_key"])
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(stack_outputs(KEYS)))

    with answering(*NOT_AWS["an HTML page"]) as url:
        code = main(["verify", "--outputs", str(outputs), "--endpoint-url", url, "--format", "json"])
    captured = capsys.readouterr()

    document = json.loads(captured.out)
    assert code == 2
    assert "Traceback" not in captured.err
    assert {r["inputs"]["status"] for r in document["resources"]} == {"error"}
    assert any("HTML page" in e["message"] for e in document["errors"])
