"""`preflight scan`: the pack's Kubernetes rules over plain manifests, alone and as a set, whatever
carries them (every workload kind, lists, JSON). What scan cannot read or judge: test_scan_fail_closed."""
from __future__ import annotations

import json
import textwrap

import pytest
import yaml

from policies.pods import WORKLOADS
from preflight.scan import MANIFEST_SET_RULES, judged_types, kubernetes_rules

GOOD_POD_SPEC = {
    "automountServiceAccountToken": False,
    "serviceAccountName": "web",
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [{
        "name": "web",
        "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/frontend@sha256:" + "b" * 64,
        "ports": [{"containerPort": 3000}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]}, "privileged": False},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 3000}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 3000}},
    }],
}


PRIVILEGED = {**GOOD_POD_SPEC["containers"][0]["securityContext"], "privileged": True}


def pod_spec(**container_changes) -> dict:
    spec = yaml.safe_load(yaml.safe_dump(GOOD_POD_SPEC))
    spec["containers"][0].update(container_changes)
    return spec


def deployment(name: str, namespace: str = "apps", **container_changes) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec(**container_changes)}}}


def workload(kind: str, name: str = "web", **container_changes) -> dict:
    """A manifest of any workload kind the pack judges, its pod spec where that kind holds it."""
    token = next(t for t, (k, _) in WORKLOADS.items() if k == kind)
    group_version, path = token.split(":")[1].removeprefix("core/"), WORKLOADS[token][1]
    document: dict = {"apiVersion": group_version, "kind": kind, "metadata": {"name": name, "namespace": "apps", "labels": {"app": name}}}
    node = document
    for step in path[:-1]:
        node = node.setdefault(step, {})
    if len(path) > 1:
        node["metadata"] = {"labels": {"app": name}}
    node[path[-1]] = pod_spec(**container_changes)
    return document


def flagged(document: dict) -> dict[str, set[str]]:
    """Resource name -> the rules it violates, from a JSON report."""
    found: dict[str, set[str]] = {}
    for violation in document["violations"]:
        found.setdefault(violation["urn"].rsplit("::", 1)[1], set()).add(violation["policy"])
    return found


def test_scan_covers_the_kubernetes_rules_and_the_manifest_set_rules():
    from policies import pack

    names = {p.name for p in kubernetes_rules()}
    assert set(MANIFEST_SET_RULES) <= names
    assert {"k8s-no-latest-image", "k8s-resources-required", "k8s-run-as-non-root", "k8s-no-default-namespace"} <= names
    assert not names & {"ecr-immutable-tags", "kms-key-rotation", "eks-vpc-cni-network-policy", "kyverno-policies-present"}
    assert all(pack.rule(n) for n in names)


def test_each_document_is_judged_as_its_pulumi_type(preflight, tmp_path):
    bad = deployment("web", image="nginx:latest")
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(bad))
    run = preflight("scan", tmp_path, "--format", "json")
    document = run.json()
    assert [r["type"] for r in document["resources"]] == ["kubernetes:apps/v1:Deployment"]
    flagged = {v["policy"] for v in document["violations"]}
    assert "k8s-no-latest-image" in flagged
    assert run.status == 1  # prod pack config by default: the image rules are mandatory
    assert document["violations"][0]["location"]["path"].endswith("web.yaml")


def test_broken_document_is_an_error_with_file_and_line_and_the_rest_is_still_judged(preflight, tmp_path):
    stream = "\n".join([
        yaml.safe_dump(deployment("first", image="nginx")).rstrip(),
        "---",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: [unclosed",
        "---",
        yaml.safe_dump(deployment("third", image="redis:latest")).rstrip(),
    ])
    manifest = tmp_path / "stream.yaml"
    manifest.write_text(stream)
    broken_line = stream.splitlines().index("kind: ConfigMap") + 1
    run = preflight("scan", manifest, "--format", "json")
    document = run.json()
    assert len(document["errors"]) == 1
    error = document["errors"][0]
    assert error["path"] == manifest.as_posix() and "not valid YAML" in error["message"]
    assert document["summary"]["verdict"] == "error" and run.status == 2
    reported_line = error["line"]
    # Within the broken document (5 lines from its apiVersion) or just after it, where the parser gave up.
    assert broken_line - 1 <= reported_line <= broken_line + 4
    judged = {r["name"] for r in document["resources"]}
    assert judged == {"apps/first", "apps/third"}
    assert {v["urn"].rsplit("::", 1)[1] for v in document["violations"] if v["policy"] == "k8s-no-latest-image"} == {"apps/first", "apps/third"}


def test_list_documents_and_directories_are_walked(preflight, tmp_path):
    nested = tmp_path / "gitops" / "apps"
    nested.mkdir(parents=True)
    (nested / "list.yml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [deployment("a"), deployment("b")]}))
    (tmp_path / "gitops" / "README.md").write_text("not yaml, not scanned")
    run = preflight("scan", tmp_path / "gitops", "--format", "json")
    assert sorted(r["name"] for r in run.json()["resources"]) == ["apps/a", "apps/b"]


def test_stack_rules_run_over_the_set_of_documents(preflight, tmp_path):
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(deployment("web")))
    alone = preflight("scan", tmp_path, "--format", "json").json()
    alone_rules = {v["policy"] for v in alone["violations"]}
    assert "k8s-default-deny-network-policy" in alone_rules or "k8s-workload-network-policy" in alone_rules
    (tmp_path / "policies.yaml").write_text(textwrap.dedent("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: default-deny, namespace: apps}
        spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: apps}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress]
          ingress: [{ports: [{port: 3000}]}]
    """))
    together = preflight("scan", tmp_path, "--format", "json").json()
    together_rules = {v["policy"] for v in together["violations"]}
    assert not together_rules & {"k8s-default-deny-network-policy", "k8s-workload-network-policy"}


def test_scan_of_exported_manifests_agrees_with_check(preflight, tmp_path):
    out = tmp_path / "manifests"
    checked = preflight("check", "--stack", "dev", "--format", "json", "--manifests-out", out).json()
    scanned = preflight("scan", out, "--format", "json", "--policy-pack-config", "policies/config/dev.json").json()
    kube = {p.name for p in kubernetes_rules()}

    def identity(document, violation):
        resource = next((r for r in document["resources"] if r["urn"] == violation["urn"]), None)
        if resource is None:
            return (violation["policy"], "")
        metadata = resource["inputs"].get("metadata", {})
        return (violation["policy"], f"{resource['type']}/{metadata.get('namespace', '')}/{metadata.get('name', '')}")

    check_findings = {identity(checked, v) for v in checked["violations"] if v["policy"] in kube}
    scan_findings = {identity(scanned, v) for v in scanned["violations"]}
    assert scan_findings == check_findings
    assert set(scanned["passed"]) == set(checked["passed"]) & kube
    assert len(scanned["resources"]) == len(list(out.glob("*.yaml")))


def test_progress_goes_to_stderr_and_stdout_has_only_the_report(preflight, tmp_path):
    for index in range(60):
        (tmp_path / f"d{index:02d}.yaml").write_text(yaml.safe_dump(deployment(f"d{index:02d}")))
    run = preflight("scan", tmp_path, "--format", "json")
    assert "scanned 60/60 files" in run.err
    assert run.json()["summary"]["resources"] == 60


def test_missing_path_is_a_usage_error(preflight, tmp_path):
    run = preflight("scan", tmp_path / "absent")
    assert run.status == 2 and "not found" in run.err


@pytest.mark.parametrize("kind", sorted({kind for kind, _ in WORKLOADS.values()}))
def test_every_workload_kind_is_judged_where_it_holds_its_pod(preflight, tmp_path, kind):
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(workload(kind, image="nginx:latest")))
    document = preflight("scan", tmp_path, "--format", "json").json()
    assert document["errors"] == []
    assert "k8s-no-latest-image" in flagged(document)["apps/web"]


def test_replication_controllers_and_pod_templates_are_workloads_of_the_pack():
    assert {"kubernetes:core/v1:ReplicationController", "kubernetes:core/v1:PodTemplate"} <= judged_types()


@pytest.mark.parametrize("api_version,kind", [("v1", "List"), ("apps/v1", "DeploymentList"), ("v1", "PodList"),
                                              ("v1", "ReplicationControllerList"), ("batch/v1", "CronJobList")])
def test_list_kinds_are_flattened_and_typed_lists_type_their_items(preflight, tmp_path, api_version, kind):
    item_kind = "Deployment" if kind == "List" else kind.removesuffix("List")
    items = []
    for name in ("a", "b"):
        item = workload(item_kind, name, image="nginx:latest")
        if kind != "List":  # as the API server returns a typed list: items without apiVersion and kind
            del item["apiVersion"], item["kind"]
        items.append(item)
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({"apiVersion": api_version, "kind": kind, "items": items}))
    document = preflight("scan", tmp_path, "--format", "json").json()
    assert document["errors"] == []
    assert {r["name"]: r["type"].rsplit(":", 1)[1] for r in document["resources"]} == {"apps/a": item_kind, "apps/b": item_kind}
    assert {name: "k8s-no-latest-image" in rules for name, rules in flagged(document).items()} == {"apps/a": True, "apps/b": True}


def test_nested_lists_are_flattened_and_a_bad_item_hides_no_other(preflight, tmp_path):
    inner = {"apiVersion": "v1", "kind": "List", "items": [deployment("inner", image="nginx:latest"), "not an object"]}
    outer = {"apiVersion": "v1", "kind": "List", "items": [inner, None, deployment("outer")]}
    (tmp_path / "lists.yaml").write_text(yaml.safe_dump(outer))
    run = preflight("scan", tmp_path, "--format", "json")
    document = run.json()
    assert sorted(r["name"] for r in document["resources"]) == ["apps/inner", "apps/outer"]
    assert "k8s-no-latest-image" in flagged(document)["apps/inner"]
    assert sorted(e["message"].split(":")[0] for e in document["errors"]) == ["items[0].items[1]", "items[1]"]
    assert run.status == 2


def test_json_manifests_in_a_directory_are_read_as_objects_and_as_lists(preflight, tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(deployment("one", image="nginx:latest")))
    (tmp_path / "many.JSON").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [deployment("two"), deployment("three")]}))
    document = preflight("scan", tmp_path, "--format", "json").json()
    assert document["errors"] == []
    assert sorted(r["name"] for r in document["resources"]) == ["apps/one", "apps/three", "apps/two"]
    assert "k8s-no-latest-image" in flagged(document)["apps/one"]


def test_a_file_named_on_the_command_line_is_read_whatever_its_extension(preflight, tmp_path):
    rendered = tmp_path / "rendered.txt"
    rendered.write_text(yaml.safe_dump(deployment("web", image="nginx:latest")))
    document = preflight("scan", rendered, "--format", "json").json()
    assert [r["name"] for r in document["resources"]] == ["apps/web"]
    assert "k8s-no-latest-image" in flagged(document)["apps/web"]


def test_objects_of_the_same_name_stay_apart(preflight, tmp_path):
    # The third is literally named like the second's generated label: each keeps its own finding.
    documents = [deployment("web"), deployment("web", image="nginx:latest"), deployment("web#2", securityContext=PRIVILEGED)]
    (tmp_path / "same.yaml").write_text(yaml.safe_dump_all(documents))
    document = preflight("scan", tmp_path, "--format", "json").json()
    names = [r["name"] for r in document["resources"]]
    assert len(set(names)) == 3 and len({r["urn"] for r in document["resources"]}) == 3
    rules = flagged(document)
    assert "k8s-no-latest-image" in rules["apps/web#2"] and "k8s-no-privileged" not in rules["apps/web#2"]
    assert sum("k8s-no-privileged" in found for found in rules.values()) == 1
