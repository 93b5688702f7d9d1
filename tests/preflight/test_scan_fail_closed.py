"""`preflight scan` fails closed: one test per class of input it cannot read or judge in full.

Each input is written for its case, most beside a good manifest in the same run, so every test also
shows that what could be read is still judged: the unreadable part is an error with its file and
line (verdict error, exit 2) and the readable part keeps its violations.
"""
from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest
import yaml
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from preflight.scan import NOTHING_JUDGED

from test_scan import deployment, flagged, pod_spec, workload

LATEST = "nginx:latest"


def scan(preflight, *paths, limits=()):
    """(exit status, JSON report) of a scan of `paths`."""
    run = preflight("scan", *paths, "--format", "json", *limits)
    assert "Traceback" not in run.err and "unexpected failure" not in run.err
    return run.status, run.json()


def errors_of(document: dict) -> list[tuple[str, int | None, str]]:
    return [(Path(e["path"]).name, e["line"], e["message"]) for e in document["errors"]]


def with_a_good_neighbour(tmp_path: Path) -> Path:
    """A readable manifest with a mandatory violation, beside the case under test."""
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(deployment("neighbour", image=LATEST)))
    return path


def assert_error_and_neighbour_judged(status: int, document: dict, file: str, line: int | None, *words: str) -> None:
    assert status == 2 and document["summary"]["verdict"] == "error"
    assert "k8s-no-latest-image" in flagged(document)["apps/neighbour"]
    matching = [e for e in errors_of(document) if e[0] == file and e[1] == line and all(w in e[2] for w in words)]
    assert matching, errors_of(document)


# --- bytes that are not text, or not the text kubectl reads -------------------------------------

@pytest.mark.parametrize("bom,codec", [
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
])
def test_unicode_with_a_byte_order_mark_is_read_and_judged_as_kubectl_reads_it(preflight, tmp_path, bom, codec):
    text = yaml.safe_dump(deployment("web", image=LATEST)) + "---\n" + yaml.safe_dump(deployment("cafe\u0301"))
    (tmp_path / "wide.yaml").write_bytes(bom + text.encode(codec))
    status, document = scan(preflight, tmp_path)
    assert document["errors"] == [] and status == 1
    assert sorted(r["name"] for r in document["resources"]) == ["apps/cafe\u0301", "apps/web"]
    assert "k8s-no-latest-image" in flagged(document)["apps/web"]


@pytest.mark.parametrize("name,data,line", [
    ("latin1.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".encode("latin-1"), 3),
    ("utf16-without-mark.yaml", yaml.safe_dump(deployment("web")).encode("utf-16-le"), 1),
    ("broken-after-mark.yaml", codecs.BOM_UTF16_LE + b"a\x00\x00\xd8", None),
    ("binary.yaml", bytes(range(256)) * 16, 2),
    ("nul.yaml", b"apiVersion: v1\nkind: ConfigMap\x00\n", 1),
])
def test_bytes_that_are_not_text_kubectl_reads_are_an_error(preflight, tmp_path, name, data, line):
    good = with_a_good_neighbour(tmp_path)
    (tmp_path / name).write_bytes(data)
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, name, line)
    assert good.name not in {e[0] for e in errors_of(document)}


# --- documents that are not Kubernetes objects --------------------------------------------------

@pytest.mark.parametrize("text,words", [
    ("- apiVersion: v1\n  kind: Pod\n", ("found a list",)),
    ("just some text\n", ("found text",)),
    ("42\n", ("found a number",)),
    ("name: values\nreplicas: 3\n", ("without apiVersion and kind",)),
    ("apiVersion: v1\nmetadata: {name: x}\n", ("has no kind",)),
    ("kind: Pod\nmetadata: {name: x}\n", ("has no apiVersion",)),
])
def test_a_document_that_is_not_an_object_is_an_error(preflight, tmp_path, text, words):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "odd.yaml").write_text("# leading comment\n---\n" + text)
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "odd.yaml", 3, *words)


def test_broken_yaml_is_an_error_at_its_line(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: [1, 2\n  b: {\n")
    status, document = scan(preflight, tmp_path)
    assert status == 2
    [(name, line, message)] = errors_of(document)
    assert name == "broken.yaml" and 4 <= line <= 6 and "not valid YAML" in message


@pytest.mark.parametrize("field,value,words", [
    ("kind", 5, ("kind is a number",)),
    ("kind", ["Deployment"], ("kind is a list",)),
    ("kind", "Deploy ment", ("kind 'Deploy ment' is not a Kubernetes kind",)),
    ("apiVersion", {"group": "apps"}, ("apiVersion is an object",)),
    ("apiVersion", "apps/v1/extra", ("is not a Kubernetes apiVersion",)),
    ("apiVersion", "Apps/V1", ("is not a Kubernetes apiVersion",)),
    ("metadata", "web", ("metadata is text",)),
    ("metadata", ["web"], ("metadata is a list",)),
    ("metadata", {"name": ["web"]}, ("metadata.name is a list",)),
    ("metadata", {"name": "web", "namespace": 5}, ("metadata.namespace is a number",)),
    ("metadata", {"name": "web", "generateName": True}, ("metadata.generateName is a boolean",)),
    ("metadata", {"name": "web", "labels": ["app=web"]}, ("metadata.labels is a list",)),
    ("metadata", {"name": "web", "labels": {"version": 1.0}}, ("metadata.labels.version is a number",)),
    ("metadata", {"name": "web", "annotations": {"a": {"b": "c"}}}, ("metadata.annotations.a is an object",)),
])
def test_identity_fields_of_the_wrong_type_are_an_error_not_a_traceback(preflight, tmp_path, field, value, words):
    with_a_good_neighbour(tmp_path)
    odd = deployment("web", image=LATEST)
    odd[field] = value
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(odd))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "odd.yaml", 1, *words)
    assert len(document["resources"]) == 1


@pytest.mark.parametrize("change,words", [
    (lambda d: d.update(spec={"replicas": 3}), ("has no spec.template", "scan the rendered manifests")),
    (lambda d: d["spec"].update(template="web"), ("spec.template is text",)),
    (lambda d: d["spec"]["template"].update(spec=[]), ("spec.template.spec is a list",)),
    (lambda d: d["spec"]["template"]["spec"].update(containers=[]), ("has no containers",)),
    (lambda d: d["spec"]["template"]["spec"].pop("containers"), ("has no containers",)),
    (lambda d: d["spec"]["template"]["spec"].update(containers={"name": "web"}), ("containers is an object",)),
    (lambda d: d["spec"]["template"]["spec"].update(containers=[LATEST]), ("containers[0] is text",)),
    (lambda d: d["spec"]["template"]["spec"].update(initContainers="busybox"), ("initContainers is text",)),
    (lambda d: d["spec"]["template"]["spec"].update(ephemeralContainers=[None]), ("ephemeralContainers[0] is null",)),
    (lambda d: d["spec"]["template"].update(metadata={"labels": {"tier": 3}}), ("spec.template.metadata.labels.tier",)),
])
def test_a_workload_without_a_pod_spec_the_pack_can_read_is_an_error(preflight, tmp_path, change, words):
    with_a_good_neighbour(tmp_path)
    odd = deployment("web")
    change(odd)
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(odd))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "odd.yaml", 1, "apps/v1 Deployment web", *words)


def test_a_value_a_rule_cannot_judge_is_an_error_at_the_object_not_a_violation(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(deployment("web", image=5)))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "odd.yaml", 1, "apps/v1 Deployment apps/web",
                                      "k8s-no-latest-image", "cannot judge")
    assert not [v for v in document["violations"] if "cannot judge" in v["message"]]


# --- objects that carry pods the pack does not judge --------------------------------------------

def with_kind(document: dict, api_version: str, kind: str) -> dict:
    return {**document, "apiVersion": api_version, "kind": kind}


@pytest.mark.parametrize("api_version,kind", [
    ("apps/v1beta1", "Deployment"), ("apps/v1beta2", "StatefulSet"), ("extensions/v1beta1", "Deployment"),
    ("extensions/v1beta1", "DaemonSet"), ("extensions/v1beta1", "ReplicaSet"), ("batch/v1beta1", "CronJob"),
    ("batch/v2alpha1", "CronJob"), ("v2", "Pod"), ("apps/v1", "deployment"), ("apps/v1", "DEPLOYMENT"),
])
def test_a_judged_kind_under_another_version_or_spelling_is_an_error_not_a_silent_skip(preflight, tmp_path, api_version, kind):
    with_a_good_neighbour(tmp_path)
    canonical = {"deployment": "Deployment"}.get(kind.lower(), kind)
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(with_kind(workload(canonical, image=LATEST), api_version, kind)))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "old.yaml", 1, f"{api_version} {kind} web is not judged",
                                      f" {canonical} only")


@pytest.mark.parametrize("api_version,kind,where", [
    ("example.com/v1", "Widget", ("spec", "template", "spec")),
    ("argoproj.io/v1alpha1", "Rollout", ("spec", "template", "spec")),
    ("serving.knative.dev/v1", "Service", ("spec", "template", "spec")),
    ("keda.sh/v1alpha1", "ScaledJob", ("spec", "jobTargetRef", "template", "spec")),
    ("example.com/v1", "Runner", ("spec",)),
    ("example.com/v1", "Nested", ("spec", "workload", "podTemplate", "spec")),
    ("example.com/v1", "Flat", ()),
    ("v1", "Deployment", ("spec", "template", "spec")),
])
def test_an_unknown_type_that_carries_a_pod_spec_is_an_error_naming_it(preflight, tmp_path, api_version, kind, where):
    with_a_good_neighbour(tmp_path)
    carrier: dict = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "runner", "namespace": "apps"}}
    node = carrier
    for step in where:
        node = node.setdefault(step, {})
    node.update(pod_spec(image=LATEST))
    (tmp_path / "crd.yaml").write_text("# a custom resource\n---\n" + yaml.safe_dump(carrier))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "crd.yaml", 3, f"{api_version} {kind} runner carries a pod spec at "
                                      f"{'.'.join(where) or 'its top level'}", f"does not judge {api_version} {kind}")


def test_unknown_types_without_a_pod_spec_are_not_errors(preflight, tmp_path):
    # Policy documents hold container patterns in lists of rules, and schemas describe containers:
    # neither carries a pod, and neither may fail the gate.
    policy = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "p"},
              "spec": {"rules": [{"name": "r", "validate": {"pattern": {"spec": {"containers": [{"image": "!*:latest"}]}}}}]}}
    schema = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "w.example.com"},
              "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
                  "properties": {"spec": {"properties": {"containers": {"type": "array"}}}}}}}]}}
    # A schema reached through mappings only: `containers` describes, it holds no containers.
    described = {"apiVersion": "example.com/v1", "kind": "Schema", "metadata": {"name": "s"},
                 "spec": {"properties": {"spec": {"properties": {"containers": {"type": "array"}}}}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "apps"}, "data": {"containers": "[web]"}}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump_all([policy, schema, described, config]))
    status, document = scan(preflight, tmp_path)
    assert document["errors"] == [] and status == 0
    assert len(document["resources"]) == 4


def test_items_on_an_object_that_is_not_a_list_kind_is_an_error(preflight, tmp_path):
    # kubectl reads any object with `items` as a list and applies the items, whatever the kind says.
    with_a_good_neighbour(tmp_path)
    hidden = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "items": [deployment("hidden", image=LATEST)]}
    (tmp_path / "hidden.yaml").write_text(yaml.safe_dump(hidden))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "hidden.yaml", 1, "v1 ConfigMap c has `items`")


@pytest.mark.parametrize("items,words", [("web", "items is text"), ({"a": 1}, "items is an object")])
def test_list_items_that_are_not_a_list_are_an_error(preflight, tmp_path, items, words):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "list.yaml", 1, words)


# --- values the engine would read as something else ---------------------------------------------

@pytest.mark.parametrize("value,words", [
    ({SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": {"runAsNonRoot": True}}, "property signature key"),
    (UNKNOWN_STRING_VALUE, "unknown-value marker"),
])
def test_pulumi_markers_in_a_manifest_are_an_error(preflight, tmp_path, value, words):
    # Left in, the pack would judge the secret's inner value (or an unknown) where kubectl applies the object as written.
    with_a_good_neighbour(tmp_path)
    odd = deployment("web")
    odd["spec"]["template"]["spec"]["securityContext"] = value
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(odd))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "odd.yaml", 1, "apps/v1 Deployment web holds", words)


@pytest.mark.parametrize("text,words", [
    ("  replicas: " + "9" * 400 + "\n", "number too large"),
    ("  2024-01-01: x\n", "a mapping key is not text"),
    ("  ratio: .nan\n", "cannot be written as the JSON the API server reads"),
    ("  ratio: -.inf\n", "cannot be written as the JSON the API server reads"),
])
def test_values_json_cannot_carry_are_an_error(preflight, tmp_path, text, words):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "odd.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + text)
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "odd.yaml", 1, "v1 ConfigMap c", words)


def test_timestamps_binary_values_and_sets_are_judged_as_their_text(preflight, tmp_path):
    (tmp_path / "values.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\n"
                                          "data: {at: 2024-01-01T10:00:00Z}\nbinaryData: {b: !!binary aGVsbG8=}\n"
                                          "extra: !!set {a: null}\n")
    status, document = scan(preflight, tmp_path)
    assert document["errors"] == [] and status == 0
    inputs = document["resources"][0]["inputs"]
    assert all(isinstance(v, str) for v in (inputs["data"]["at"], inputs["binaryData"]["b"], inputs["extra"]))


# --- limits: depth, aliases, documents, size ----------------------------------------------------

def nested(depth: int) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize("depth", [101, 999, 5_000, 100_000])
def test_nesting_deeper_than_the_limit_is_an_error(preflight, tmp_path, depth):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "deep.yaml").write_text(nested(depth))
    (tmp_path / "deep.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + "[" * depth + "]" * depth + "}")
    status, document = scan(preflight, tmp_path)
    # Past 1000 levels the parser itself stops, at the line where the nesting is.
    assert_error_and_neighbour_judged(status, document, "deep.yaml", 1 if depth < 1000 else 4, "nest")
    assert_error_and_neighbour_judged(status, document, "deep.json", 1, "nest")


def test_a_raised_depth_limit_reads_what_the_default_refuses(preflight, tmp_path):
    (tmp_path / "deep.yaml").write_text(nested(150).replace("{name: deep}", "{name: deep, namespace: apps}"))
    assert scan(preflight, tmp_path)[0] == 2
    status, document = scan(preflight, tmp_path, limits=("--max-depth", "200"))
    assert document["errors"] == [] and status == 0


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: bomb}", "data:", f"  l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_an_error(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "bomb.yaml", 1, "alias")


def test_a_recursive_alias_is_an_error(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "loop.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: loop}\ndata: &d\n  self: *d\n")
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "loop.yaml", 1, "recursive alias")


def test_a_scan_holds_no_more_values_than_the_limit_however_many_files_share_them(preflight, tmp_path):
    # Each file is within the per-file limits (a few hundred bytes, about 28,000 values with its
    # aliases expanded); together they would grow without bound. Two fit in 60,000 values.
    for index in range(6):
        (tmp_path / f"bomb{index}.yaml").write_text(alias_bomb(levels=3, width=30).replace("name: bomb", f"name: bomb{index}"))
    status, document = scan(preflight, tmp_path, limits=("--max-nodes", "60000"))
    assert status == 2
    assert [r["name"] for r in document["resources"]] == ["bomb0", "bomb1"]
    assert [(e[0], e[2]) for e in errors_of(document)] == [
        (f"bomb{index}.yaml", f"v1 ConfigMap bomb{index}: the scan would hold more than 60000 values, aliases expanded "
                              "(raise --max-nodes to read more)") for index in range(2, 6)]


def test_too_many_documents_is_an_error_and_the_first_ones_are_judged(preflight, tmp_path):
    documents = [deployment(f"d{index}", image=LATEST) for index in range(4)]
    (tmp_path / "many.yaml").write_text(yaml.safe_dump_all(documents))
    status, document = scan(preflight, tmp_path, limits=("--max-documents", "3"))
    assert status == 2
    [(name, _, message)] = errors_of(document)
    assert name == "many.yaml" and "more than 3 documents" in message and "--max-documents" in message
    assert sorted(flagged(document)) == ["apps/d0", "apps/d1", "apps/d2"]


def test_a_file_larger_than_the_limit_is_an_error_and_the_limit_can_be_raised(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_text(yaml.safe_dump(deployment("big")) + "# padding\n" * 2_000)
    status, document = scan(preflight, tmp_path, limits=("--max-file-bytes", "10000"))
    assert_error_and_neighbour_judged(status, document, "big.yaml", None, "larger than 10000 bytes")
    status, document = scan(preflight, tmp_path, limits=("--max-file-bytes", str(big.stat().st_size)))
    assert document["errors"] == [] and "apps/big" in {r["name"] for r in document["resources"]}


# --- files and the scan as a whole --------------------------------------------------------------

def test_a_broken_link_under_a_directory_is_an_error(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    os.symlink(tmp_path / "gone.yaml", tmp_path / "link.yaml")
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "link.yaml", None, "not a regular file")


def test_a_directory_that_cannot_be_listed_is_an_error(preflight, tmp_path, monkeypatch):
    # Root reads any directory whatever its mode, so the refusal is the operating system's answer, staged.
    with_a_good_neighbour(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.yaml").write_text(yaml.safe_dump(deployment("hidden", image=LATEST)))
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "locked", None, "cannot list this directory: Permission denied")


@pytest.mark.parametrize("files", [{}, {"empty.yaml": ""}, {"comments.yaml": "# nothing\n---\n---\n"},
                                   {"README.md": "apiVersion: v1\nkind: Pod\n"}, {"list.json": '{"kind": "List", "items": []}'}])
def test_a_scan_that_finds_no_kubernetes_object_judged_nothing_and_cannot_pass(preflight, tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    status, document = scan(preflight, tmp_path)
    assert status == 2 and document["resources"] == []
    assert [e[2] for e in errors_of(document)] == [NOTHING_JUDGED]


def test_a_json_file_holding_an_array_is_not_an_object(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "array.json").write_text(json.dumps([deployment("a")]))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "array.json", 1, "found a list")


def test_a_json_file_that_is_not_json_is_an_error(preflight, tmp_path):
    with_a_good_neighbour(tmp_path)
    (tmp_path / "two.json").write_text(json.dumps(deployment("a")) + "\n" + json.dumps(deployment("b")))
    status, document = scan(preflight, tmp_path)
    assert_error_and_neighbour_judged(status, document, "two.json", 2, "not valid JSON")
