"""`preflight check`: the program and the pack offline, with the exit status CI relies on."""
from __future__ import annotations

import json

import jsonschema
import yaml

from conftest import REPORT_SCHEMA
from stack_variants import stack_variant


def test_shipped_stacks_pass_with_a_text_summary(preflight):
    for stack in ("dev", "prod"):
        run = preflight("check", "--stack", stack)
        assert run.status == 0, run.out
        first = run.out.splitlines()[0]
        assert first.startswith(f"preflight check: stack {stack}: ") and "(0 mandatory)" in first
        assert run.out.rstrip().endswith("verdict: pass")
        assert "\033[" not in run.out  # no colour when stdout is not a terminal


def test_json_report_matches_the_documented_schema(preflight):
    run = preflight("check", "--stack", "prod", "--format", "json")
    document = run.json()
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["stack"] == "prod" and document["kind"] == "check"
    types = {r["type"] for r in document["resources"]}
    assert {"eks:index:Cluster", "aws:ecr/repository:Repository", "aws:kms/key:Key"} <= types
    names = {p["name"] for p in document["policies"]}
    assert set(document["passed"]) <= names
    assert document["summary"]["verdict"] == "pass"


def test_secrets_never_reach_a_report(preflight, tmp_path):
    path = stack_variant(tmp_path, changes={"argocdSsoClientSecret": {"secure": "v1:AAAA"}})
    run = preflight("check", "--stack-file", path, "--format", "json")
    assert "offline-secret-placeholder" not in run.out


def test_mandatory_violation_exits_1_and_is_reported(preflight, tmp_path):
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"cloudwatch-log-group-retention": {"enforcementLevel": "mandatory", "minimumDays": 365}}))
    run = preflight("check", "--stack", "dev", "--policy-pack-config", strict, "--format", "json")
    assert run.status == 1
    violations = [v for v in run.json()["violations"] if v["policy"] == "cloudwatch-log-group-retention"]
    assert violations and all(v["enforcementLevel"] == "mandatory" for v in violations)
    located = {v["location"]["path"] for v in violations}
    assert located <= {"components/network.py", "components/cluster.py"} and located


def test_config_errors_exit_2_with_the_loaders_messages(preflight, tmp_path):
    path = stack_variant(tmp_path, changes={"azCount": 1, "kubernetesVersion": "1.20"})
    run = preflight("check", "--stack-file", path)
    assert run.status == 2 and run.out == ""
    assert "devsecops-platform:azCount: got 1" in run.err
    assert "devsecops-platform:kubernetesVersion: got '1.20'" in run.err


def test_usage_errors_exit_2(preflight, tmp_path):
    assert preflight("check", "--stack", "nosuchstack").status == 2
    assert preflight("check", "--stack", "dev", "--policy-pack-config", tmp_path / "missing.json").status == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"ecr-immutable-tags": "sometimes"}))
    run = preflight("check", "--stack", "dev", "--policy-pack-config", bad)
    assert run.status == 2 and "sometimes" in run.err


def test_manifests_out_writes_one_file_per_kubernetes_resource(preflight, tmp_path):
    out = tmp_path / "manifests"
    run = preflight("check", "--stack", "dev", "--format", "json", "--manifests-out", out)
    expected = [r for r in run.json()["resources"] if r["type"].startswith("kubernetes:") and not r["type"].startswith("kubernetes:helm.sh/")]
    files = sorted(out.glob("*.yaml"))
    assert len(files) == len(expected) > 0
    documents = [yaml.safe_load(f.read_text()) for f in files]
    assert all(d["apiVersion"] and d["kind"] and d["metadata"]["name"] for d in documents)
    assert {d["kind"] for d in documents} >= {"StorageClass"}


def test_output_file_gets_the_report_and_stdout_stays_empty(preflight, tmp_path):
    target = tmp_path / "reports" / "dev.md"
    run = preflight("check", "--stack", "dev", "--format", "markdown", "--output", target)
    assert run.status == 0 and run.out == ""
    assert target.read_text().startswith("## ✅ Policy check for <code>dev</code>: pass")
