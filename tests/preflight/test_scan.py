"""`preflight scan`: the pack's Kubernetes rules over plain manifests, alone and as a set."""
from __future__ import annotations

import textwrap

import yaml

from preflight.scan import MANIFEST_SET_RULES, kubernetes_policies

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


def deployment(name: str, namespace: str = "apps", **container_changes) -> dict:
    spec = yaml.safe_load(yaml.safe_dump(GOOD_POD_SPEC))
    spec["containers"][0].update(container_changes)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def test_scan_covers_the_kubernetes_rules_and_the_manifest_set_rules():
    from policies import pack

    names = {p.name for p in kubernetes_policies()}
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
    kube = {p.name for p in kubernetes_policies()}

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
