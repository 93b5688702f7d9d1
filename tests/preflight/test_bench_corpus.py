"""The bench corpus: the same files for the same seed, one Kubernetes object per file, every file
readable by `scan`, the common kinds present, and every way it breaks a control caught by the pack."""
from __future__ import annotations

import collections
import tempfile
from pathlib import Path

import pytest
import yaml

from preflight import bench_corpus
from preflight.evaluation import evaluate, load_pack_config
from preflight.manifests import load_manifests
from preflight.model import Plan
from preflight.scan import judged_types, kubernetes_rules

DEPLOYED = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "platform"}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "deny", "namespace": "platform"}, "spec": {"podSelector": {}}}]


def contents(directory) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(directory.iterdir())}


def test_one_seed_builds_the_same_files_and_another_seed_other_ones(tmp_path):
    first = bench_corpus.build(tmp_path / "a", 300, DEPLOYED, seed=3)
    bench_corpus.build(tmp_path / "b", 300, DEPLOYED, seed=3)
    bench_corpus.build(tmp_path / "c", 300, DEPLOYED, seed=4)
    assert len(first) == 300 and contents(tmp_path / "a") == contents(tmp_path / "b")
    assert contents(tmp_path / "a") != contents(tmp_path / "c")


def test_every_file_holds_one_object_that_scan_reads_and_the_common_kinds_are_there(tmp_path):
    paths = bench_corpus.build(tmp_path, 600, DEPLOYED, seed=1)
    assert all(len(list(yaml.safe_load_all(p.read_text()))) == 1 for p in paths)
    loaded = load_manifests([tmp_path], judged_types=judged_types())
    assert loaded.errors == () and len(loaded.resources) == 600
    kinds = collections.Counter(r.type.rsplit(":", 1)[1] for r in loaded.resources)
    assert {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service", "Ingress", "ConfigMap",
            "Role", "RoleBinding", "NetworkPolicy", "Namespace"} <= set(kinds)
    identities = {(r.type, r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"]) for r in loaded.resources}
    assert len(identities) == 600  # copies are renamed: no object twice


def judged(manifests: list[dict]) -> set[tuple[str, str]]:
    """(policy, object name) of every violation the pack finds in the manifests, scanned as files."""
    with tempfile.TemporaryDirectory() as directory:
        for index, manifest in enumerate(manifests):
            (Path(directory) / f"{index}.yaml").write_text(yaml.safe_dump(manifest))
        resources = load_manifests([Path(directory)], judged_types=judged_types()).resources
    evaluation = evaluate(Plan("m", "m", resources, {}), load_pack_config("policies/config/dev.json"),
                          rules=kubernetes_rules())
    assert evaluation.errors == ()
    return {(v.policy, v.urn.rsplit("/", 1)[1]) for v in evaluation.violations}


@pytest.mark.parametrize("way", sorted(bench_corpus.BREAKS))
def test_every_way_of_breaking_a_control_is_caught_by_the_pack(way):
    [web] = [m for m in bench_corpus.fixtures() if m["kind"] == "Deployment"]
    broken = yaml.safe_load(yaml.safe_dump(web))
    broken["metadata"]["name"] = "broken"
    bench_corpus.BREAKS[way](broken)
    found = judged([web, broken])
    assert {policy for policy, name in found if name == "broken"} - {policy for policy, name in found if name == "web"}
