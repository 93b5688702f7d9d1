"""Waivers as Kyverno PolicyExceptions: one for each waiver in force of a Kubernetes object in a
namespace the stack manages, none once it has expired, and at admission it hides exactly the
violation the preview waives."""
from __future__ import annotations

import importlib.util
from datetime import timedelta
from fnmatch import fnmatchcase

import pytest

from components.admission import NAMESPACE
from policies import waivers as waiver_file
from policies.kyverno import cluster_policy
from policies.kyverno_exceptions import policy_exceptions
from policies.workload_catalog import CATALOG, KyvernoParams
from preflight.commands import check_plan, pack_config_for
from preflight.engine import run_program
from preflight.stack_files import PROJECT_ROOT
from waiver_files import TODAY, waiver, waiver_file as use_waivers  # noqa: F401 - the fixture

MANAGED = ("app",)
EXCEPTION_TYPE = "kubernetes:kyverno.io/v2:PolicyException"


def exceptions(use_waivers, entries, on=TODAY, stack="dev"):
    use_waivers(entries)
    return policy_exceptions(waiver_file.load_shipped(), stack, MANAGED, NAMESPACE, on)


def test_a_waiver_in_force_becomes_one_exception_in_kyvernos_namespace(use_waivers):
    (document,) = exceptions(use_waivers, [waiver("k8s-no-latest-image", "app/legacy")])
    assert (document["apiVersion"], document["kind"]) == ("kyverno.io/v2", "PolicyException")
    metadata = document["metadata"]
    assert metadata["namespace"] == "kyverno" and metadata["name"].startswith("waiver-k8s-no-latest-image-")
    assert metadata["labels"] == {"cleanup.kyverno.io/ttl": "2030-07-02"}  # the day after it expires
    assert metadata["annotations"]["policies.devsecops/waiver-owner"] == "platform-team@example.com"
    (exception,) = document["spec"]["exceptions"]
    assert exception["policyName"] == "disallow-latest-tag"
    assert {"validate-image-tag", "autogen-validate-image-tag", "autogen-cronjob-require-image-tag"} <= set(exception["ruleNames"])
    (match,) = document["spec"]["match"]["any"]
    assert match["resources"]["namespaces"] == ["app"] and match["resources"]["names"] == ["legacy", "legacy-*"]
    assert {"Pod", "Deployment", "CronJob"} <= set(match["resources"]["kinds"])


def test_an_expired_waiver_has_no_exception(use_waivers):
    entry = waiver("k8s-no-latest-image", "app/legacy", expires=TODAY)
    assert len(exceptions(use_waivers, [entry], on=TODAY)) == 1
    assert exceptions(use_waivers, [entry], on=TODAY + timedelta(days=1)) == []


@pytest.mark.parametrize("entry", [
    waiver("k8s-no-latest-image", "urn:pulumi:dev::*"),  # a URN means nothing to Kyverno
    waiver("k8s-no-latest-image", "kube-system/*"),  # not a namespace the stack manages
    waiver("k8s-no-latest-image", "app/legacy", stacks=["prod"]),  # another stack's
    waiver("k8s-rbac-no-wildcards", "app/reader"),  # no Kyverno twin
    waiver("k8s-namespace-psa-restricted", "/app"),  # a cluster-scoped object
])
def test_no_exception_where_kyverno_cannot_or_may_not_have_one(use_waivers, entry):
    assert exceptions(use_waivers, [entry]) == []


def test_a_namespace_glob_is_narrowed_to_the_namespaces_the_stack_manages(use_waivers):
    (document,) = exceptions(use_waivers, [waiver("k8s-no-latest-image", "*/legacy")])
    assert document["spec"]["match"]["any"][0]["resources"]["namespaces"] == ["app"]


def _engine():
    path = PROJECT_ROOT / "tests" / "policies" / "kyverno_engine.py"
    spec = importlib.util.spec_from_file_location("kyverno_engine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def excepted(exception_documents: list[dict], policy: str, rule: str, resource: dict) -> bool:
    """Kyverno's exception match: the policy and rule named, the resource's kind, namespace and name."""
    metadata = resource["metadata"]
    for document in exception_documents:
        spec = document["spec"]
        if not any(e["policyName"] == policy and rule in e["ruleNames"] for e in spec["exceptions"]):
            continue
        for entry in spec["match"]["any"]:
            described = entry["resources"]
            if (resource["kind"] in described["kinds"]
                    and any(fnmatchcase(metadata.get("namespace", ""), n) for n in described["namespaces"])
                    and any(fnmatchcase(metadata["name"], n) for n in described["names"])):
                return True
    return False


def deployment(name: str) -> dict:
    container = {"name": "c", "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/frontend:latest",
                 "securityContext": {"readOnlyRootFilesystem": False}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "app"},
            "spec": {"template": {"metadata": {}, "spec": {"containers": [container]}}}}


def pod_of(controller: dict) -> dict:
    name = controller["metadata"]["name"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{name}-7d9f8b6c4-x2x9k", "namespace": "app"},
            "spec": controller["spec"]["template"]["spec"]}


def refused(engine, documents: list[dict], resource: dict) -> set[tuple[str, str]]:
    params = KyvernoParams(failure_action="Enforce", excluded_namespaces=("kube-system", "kyverno"))
    policies = [cluster_policy(c, params) for c in CATALOG if c.kyverno_policy in ("disallow-latest-tag", "require-ro-rootfs")]
    return {(p["metadata"]["name"], rule) for p in policies for rule in engine.failed_rules(p, resource)
            if not excepted(documents, p["metadata"]["name"], rule, resource)}


def test_at_admission_the_exception_hides_exactly_the_waived_violation(use_waivers):
    engine = _engine()
    documents = exceptions(use_waivers, [waiver("k8s-no-latest-image", "app/legacy")])
    legacy, fresh = deployment("legacy"), deployment("fresh")
    assert {p for p, _ in refused(engine, [], legacy)} == {"disallow-latest-tag", "require-ro-rootfs"}
    assert {p for p, _ in refused(engine, documents, legacy)} == {"require-ro-rootfs"}  # only the waived rule
    assert {p for p, _ in refused(engine, documents, pod_of(legacy))} == {"require-ro-rootfs"}  # and its pods
    assert {p for p, _ in refused(engine, documents, fresh)} == {"disallow-latest-tag", "require-ro-rootfs"}


def test_the_program_registers_the_exception_while_in_force_and_drops_it_after(use_waivers):
    entries = [waiver("k8s-read-only-root-fs", "app/frontend", expires=TODAY + timedelta(days=10))]
    use_waivers(entries)
    plan = run_program(stack="dev")
    (resource,) = plan.by_type(EXCEPTION_TYPE)
    assert resource.inputs["metadata"]["namespace"] == "kyverno"
    assert resource.inputs["spec"]["exceptions"][0]["policyName"] == "require-ro-rootfs"
    release = next(r for r in plan.resources if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs["name"] == "kyverno")
    assert release.urn in resource.dependencies  # after Kyverno and its CRDs
    assert release.inputs["values"]["features"]["policyExceptions"] == {"enabled": True, "namespace": "kyverno"}
    path = PROJECT_ROOT / "Pulumi.dev.yaml"
    assert check_plan(plan, path, pack_config_for(path, None)).verdict == "pass"

    use_waivers(entries, today=TODAY + timedelta(days=11))
    assert run_program(stack="dev").by_type(EXCEPTION_TYPE) == []


def test_an_unusable_waiver_file_gives_no_exception_and_the_pack_says_why(use_waivers):
    use_waivers([{"rule": "k8s-read-only-root-fs", "resources": ["app/frontend"]}])
    plan = run_program(stack="dev")
    assert plan.by_type(EXCEPTION_TYPE) == []
    path = PROJECT_ROOT / "Pulumi.dev.yaml"
    report = check_plan(plan, path, pack_config_for(path, None))
    assert report.verdict == "error" and any("no reason" in e.message for e in report.errors)

