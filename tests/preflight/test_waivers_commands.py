"""A waiver hides exactly its violation in check, scan and report, and in a real preview's pack; an
expired waiver waives nothing and is reported, an unused one is reported, an invalid file is an error."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from policies import pack
from policies import waivers as waiver_file
from preflight.evaluation import evaluate
from preflight.commands import check_plan, pack_config_for
from preflight.engine import run_program
from stack_variants import stack_variant
from waiver_files import TODAY, waiver, waiver_file as use_waivers  # noqa: F401 - the fixture

FIXTURES = Path(__file__).parent / "fixtures"
EKS = "urn:pulumi:dev::devsecops-platform::devsecops:cluster:Cluster$eks:index:Cluster::cluster-eks"
FLOW_LOGS = "urn:pulumi:dev::devsecops-platform::devsecops:network:Network$aws:cloudwatch/logGroup:LogGroup::network-flow-logs"
CLUSTER_LOGS = "urn:pulumi:dev::devsecops-platform::devsecops:cluster:Cluster$aws:cloudwatch/logGroup:LogGroup::cluster-control-plane-logs"
PUBLIC_ENDPOINT = "eks-public-endpoint-restricted"
RETENTION = "cloudwatch-log-group-retention"


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """dev with a public endpoint (mandatory violation) and a short log retention (two advisory ones)."""
    path = stack_variant(tmp_path_factory.mktemp("stack"), "dev", {
        "endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"], "logRetentionDays": 7})
    return path, run_program(stack_file=path)


def checked(variant):
    path, plan = variant
    return check_plan(plan, path, pack_config_for(path, None))


def found(violations) -> set[tuple[str, str]]:
    return {(v.policy, v.urn) for v in violations}


def test_without_waivers_the_variant_fails_on_the_public_endpoint(variant, use_waivers):
    use_waivers([])
    report = checked(variant)
    assert found(report.violations) == {(PUBLIC_ENDPOINT, EKS), (RETENTION, FLOW_LOGS), (RETENTION, CLUSTER_LOGS)}
    assert report.verdict == "fail" and report.waived == () and report.waivers == ()


def test_check_a_waiver_hides_exactly_its_violation_and_no_longer_counts(variant, use_waivers):
    use_waivers([waiver(PUBLIC_ENDPOINT, EKS), waiver(RETENTION, FLOW_LOGS)])
    report = checked(variant)
    assert found(report.violations) == {(RETENTION, CLUSTER_LOGS)}  # the other log group is still reported
    assert found(w.violation for w in report.waived) == {(PUBLIC_ENDPOINT, EKS), (RETENTION, FLOW_LOGS)}
    assert report.verdict == "pass" and report.summary()["waived"] == 2
    assert [(u.status, u.findings) for u in report.waivers] == [("applied", 1), ("applied", 1)]


def test_check_an_expired_waiver_waives_nothing_and_is_reported(variant, use_waivers):
    use_waivers([waiver(PUBLIC_ENDPOINT, EKS, expires=TODAY - timedelta(days=1))])
    report = checked(variant)
    assert (PUBLIC_ENDPOINT, EKS) in found(report.violations) and report.verdict == "fail"
    assert [(u.status, u.findings) for u in report.waivers] == [("expired", 1)]


def test_check_a_waiver_that_matches_nothing_is_reported_unused(variant, use_waivers):
    use_waivers([waiver("k8s-no-privileged", "app/*"), waiver(PUBLIC_ENDPOINT, EKS, stacks=["prod"])])
    report = checked(variant)
    assert [(u.waiver.rule, u.status) for u in report.waivers] == [("k8s-no-privileged", "unused")]  # prod's is not listed
    assert report.verdict == "fail"


def test_check_a_waiver_further_ahead_than_the_pack_config_allows_is_an_error_and_waives_nothing(variant, use_waivers):
    path = use_waivers([waiver(PUBLIC_ENDPOINT, EKS, expires=TODAY + timedelta(days=181))])  # dev allows 180
    report = checked(variant)
    assert report.verdict == "error" and report.waived == ()
    error = next(e for e in report.errors if e.path == path.as_posix())
    assert error.line == 1 and "this environment allows at most 180 days" in error.message
    # The pack's own rule says the same, so a real preview fails on it too.
    assert any(v.policy == "policy-waivers-valid" and v.mandatory for v in report.violations)


def test_check_cli_exit_status_follows_the_waived_verdict(preflight, use_waivers, variant):
    path, _ = variant
    use_waivers([waiver(PUBLIC_ENDPOINT, EKS)])
    run = preflight("check", "--stack-file", path, "--format", "json")
    assert run.status == 0 and [w["policy"] for w in run.json()["waived"]] == [PUBLIC_ENDPOINT]
    use_waivers("- rule: eks-public-endpoint-restricted\n")
    assert preflight("check", "--stack-file", path).status == 2


def test_scan_a_namespace_name_waiver_hides_only_that_object(tmp_path, preflight, use_waivers):
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "app"},
             "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}} for name in ("legacy", "fresh")]
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump_all(pods))
    use_waivers([waiver("k8s-no-latest-image", "app/legacy")])
    report = preflight("scan", tmp_path / "pods.yaml", "--format", "json").json()
    waived = {(w["policy"], w["urn"].rsplit("::", 1)[1]) for w in report["waived"]}
    assert waived == {("k8s-no-latest-image", "app/legacy")}
    remaining = {(v["policy"], v["urn"].rsplit("::", 1)[1]) for v in report["violations"]}
    assert ("k8s-no-latest-image", "app/fresh") in remaining
    assert {p for p, name in remaining if name == "app/legacy"} and ("k8s-no-latest-image", "app/legacy") not in remaining


def test_scan_a_waiver_limited_to_stacks_does_not_apply_to_manifests(tmp_path, preflight, use_waivers):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "legacy", "namespace": "app"},
           "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod))
    use_waivers([waiver("k8s-no-latest-image", "app/legacy", stacks=["dev"])])
    report = preflight("scan", tmp_path / "pod.yaml", "--format", "json").json()
    assert report["waived"] == [] and report["waivers"] == []


def test_report_a_waiver_hides_a_violation_the_log_carries(preflight, use_waivers):
    use_waivers([waiver(RETENTION, FLOW_LOGS)])
    report = preflight("report", FIXTURES / "preview-dev-advisory.events.jsonl", "--format", "json").json()
    assert report["violations"] == [] and [w["policy"] for w in report["waived"]] == [RETENTION]
    assert report["waivers"][0]["status"] == "applied" and report["summary"]["verdict"] == "pass"


def test_report_a_waiver_covering_resources_of_the_log_is_in_force_and_its_rule_is_not_a_pass(preflight, use_waivers):
    use_waivers([waiver("cloudwatch-log-group-kms", FLOW_LOGS)])  # the pack left out what it waived
    report = preflight("report", FIXTURES / "preview-dev-advisory.events.jsonl", "--format", "json").json()
    assert report["waivers"][0]["status"] == "in-force"
    rules = {r["name"]: r["status"] for f in report["compliance"] for c in f["controls"] for r in c["rules"]}
    assert rules["cloudwatch-log-group-kms"] == "waived"


def test_a_real_preview_the_pack_does_not_report_what_a_waiver_in_force_covers(variant, use_waivers):
    _, plan = variant
    use_waivers([waiver(PUBLIC_ENDPOINT, EKS), waiver(RETENTION, FLOW_LOGS, expires=TODAY - timedelta(days=1))])
    config = pack_config_for(variant[0], None)
    evaluation = evaluate(plan, config, policies=pack.policies(waiver_file.load_shipped()))
    assert found(evaluation.violations) == {(RETENTION, FLOW_LOGS), (RETENTION, CLUSTER_LOGS)}  # expired: reported
    assert evaluation.mandatory == ()


def test_a_real_preview_never_waives_a_value_it_cannot_verify(use_waivers):
    from preflight.model import Plan, RecordedResource
    from pulumi.runtime.rpc import UNKNOWN

    urn = "urn:pulumi:dev::devsecops-platform::devsecops:keys:Keys$aws:kms/key:Key::keys-logs"
    key = RecordedResource(urn, "aws:kms/key:Key", "keys-logs", True, {"enableKeyRotation": UNKNOWN, "keyUsage": "ENCRYPT_DECRYPT"})
    use_waivers([waiver("kms-key-rotation", urn)])
    evaluation = evaluate(Plan("p", "dev", (key,), {}), {"all": "mandatory"},
                          policies=[pack.rule("kms-key-rotation").to_policy(waiver_file.load_shipped())])
    assert [v.message.split("\n")[-1].startswith("cannot verify at preview") for v in evaluation.violations] == [True]


def test_the_pack_entry_point_the_cli_runs_honours_the_waiver_file(variant, use_waivers, monkeypatch):
    """policies/__main__.py, as `pulumi preview --policy-pack policies` runs it, with PolicyPack recorded."""
    import runpy

    import pulumi_policy

    built = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.update(kwargs))
    use_waivers([waiver(PUBLIC_ENDPOINT, EKS)])
    runpy.run_path(str(Path(pack.__file__).parent / "__main__.py"))
    path, plan = variant
    evaluation = evaluate(plan, pack_config_for(path, None), policies=built["policies"])
    assert PUBLIC_ENDPOINT not in {v.policy for v in evaluation.violations} and evaluation.mandatory == ()
