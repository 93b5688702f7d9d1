"""`check --manifests-out`: manifests as people write them (whole numbers as integers), in files named
after what they hold, so the same program gives the same files run after run."""
from __future__ import annotations

import yaml

from preflight.engine import run_program
from preflight.manifests import export_manifests, manifest_of
from preflight.model import Plan, RecordedResource
from preflight.report import REDACTED, SECRET_SIG, SIG_KEY


def k8s(kind_token: str, name: str, inputs: dict, urn_name: str | None = None) -> RecordedResource:
    return RecordedResource(urn=f"urn:pulumi:dev::p::{kind_token}::{urn_name or name}", type=kind_token,
                            name=urn_name or name, custom=True, inputs=inputs)


DEPLOYMENT = k8s("kubernetes:apps/v1:Deployment", "web", {
    "metadata": {"name": "web", "namespace": "app"},
    "spec": {"replicas": 2.0, "template": {"spec": {
        "containers": [{"name": "web", "securityContext": {"runAsUser": 10001.0, "privileged": False},
                        "resources": {"limits": {"cpu": 0.5}}, "ports": [{"containerPort": 8080.0}]}],
        "terminationGracePeriodSeconds": -0.0}}}})


def read(directory) -> dict[str, dict]:
    return {path.name: yaml.safe_load(path.read_text()) for path in directory.glob("*.yaml")}


def test_whole_numbers_are_written_as_integers_and_the_rest_as_recorded():
    manifest = manifest_of(DEPLOYMENT)
    spec = manifest["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert manifest["spec"]["replicas"] == 2 and type(manifest["spec"]["replicas"]) is int
    assert type(container["securityContext"]["runAsUser"]) is int and container["securityContext"]["privileged"] is False
    assert type(container["ports"][0]["containerPort"]) is int and container["resources"]["limits"]["cpu"] == 0.5
    assert type(spec["terminationGracePeriodSeconds"]) is int
    assert "10001.0" not in yaml.safe_dump(manifest) and "runAsUser: 10001" in yaml.safe_dump(manifest)


def test_file_names_say_what_the_file_holds_whatever_the_registration_order(tmp_path):
    resources = (DEPLOYMENT, k8s("kubernetes:core/v1:Namespace", "app", {"metadata": {"name": "app"}}),
                 k8s("kubernetes:core/v1:ConfigMap", "settings", {"metadata": {"namespace": "app"}}, "settings-cm"))
    first = read_export(tmp_path / "first", resources)
    second = read_export(tmp_path / "second", tuple(reversed(resources)))
    assert first == second
    assert sorted(first) == ["configmap-app-settings-cm.yaml", "deployment-app-web.yaml", "namespace-app.yaml"]


def read_export(directory, resources) -> dict[str, dict]:
    export_manifests(Plan("p", "dev", resources, {}), directory)
    return read(directory)


def test_objects_that_would_share_a_file_get_stable_distinct_names(tmp_path):
    twins = (k8s("kubernetes:kyverno.io/v1:ClusterPolicy", "a", {"metadata": {"name": "same"}}),
             k8s("kubernetes:other.io/v1:ClusterPolicy", "b", {"metadata": {"name": "same"}}))
    first = read_export(tmp_path / "first", twins)
    assert len(first) == 2 and all(name.startswith("clusterpolicy-same-") for name in first)
    assert read_export(tmp_path / "second", tuple(reversed(twins))) == first


def test_names_cannot_leave_the_directory_and_secrets_stay_redacted(tmp_path):
    hostile = k8s("kubernetes:core/v1:Secret", "s", {"metadata": {"name": "../../etc/passwd", "namespace": ".."},
                                                     "stringData": {"password": {SIG_KEY: SECRET_SIG, "value": "hunter2"}}})
    [path] = export_manifests(Plan("p", "dev", (hostile,), {}), tmp_path / "out")
    assert path.parent == tmp_path / "out" and path.name.startswith("secret-") and path.name.endswith("etc_passwd.yaml")
    assert yaml.safe_load(path.read_text())["stringData"]["password"] == REDACTED


def test_the_dev_stack_exports_integers_under_the_same_names_each_run(tmp_path):
    first, second = (export_manifests(run_program(stack="dev"), tmp_path / run) for run in ("first", "second"))
    assert [p.name for p in first] and {p.name for p in first} == {p.name for p in second}
    assert all(a.read_text() == b.read_text() for a, b in zip(sorted(first), sorted(second)))
    text = "".join(p.read_text() for p in first)
    assert "replicas: 1\n" in text and "runAsUser: 10001\n" in text and ".0\n" not in text
