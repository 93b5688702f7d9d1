"""Properties of `preflight scan` over inputs no one wrote by hand: random bytes, random YAML and
JSON values, and real manifests mutated at random.

Whatever the input: no traceback and no unexpected failure; the exit status is the verdict's; and
the scan passes or fails (exit 0 or 1) only when nothing was left unread: then every object of the
input (as a plain YAML parser reads it, lists flattened) was judged, exactly as written, and every
object that carries a pod spec was judged as a workload. Memory stays bounded for inputs built to
exhaust it (measured in a child process, as CI would run the gate).
"""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from policies.pods import WORKLOADS
from preflight.__main__ import EXIT_STATUS, main
from preflight.stack_files import PROJECT_ROOT

from test_scan import deployment, workload

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")


def run_scan(path: Path) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["scan", str(path), "--format", "json"])
    return status, json.loads(out.getvalue()), err.getvalue()


def scanned(name: str, data: bytes) -> tuple[int, dict, str]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        return run_scan(path)


def canonical(value: Any) -> str:
    """A value as the engine would carry it, comparable (NaN equals NaN as text)."""
    return json.dumps(json.loads(json.dumps(value, default=str)), sort_keys=True)


def objects_in(documents: list[Any]) -> list[Any]:
    """The objects a stream holds as kubectl reads it: lists (anything with items) flattened, typed
    lists typing items that do not say what they are."""
    found: list[Any] = []
    pending = [(d, None) for d in reversed(documents) if d is not None]
    while pending:
        value, typed = pending.pop()
        if isinstance(value, dict) and "items" in value:
            kind = value.get("kind")
            items_type = (value.get("apiVersion"), kind[:-4]) if isinstance(kind, str) and kind.endswith("List") and kind != "List" else None
            pending += [(item, items_type) for item in reversed(value["items"] or [])]
        elif typed and isinstance(value, dict) and "apiVersion" not in value and "kind" not in value:
            found.append({"apiVersion": typed[0], "kind": typed[1], **value})
        else:
            found.append(value)
    return found


def carries_pod_spec(value: Any) -> bool:
    """A mapping holding a list of containers, reached through mappings (as the scan documents)."""
    if not isinstance(value, dict):
        return False
    return any(isinstance(value.get(g), list) for g in CONTAINER_GROUPS) or any(carries_pod_spec(v) for v in value.values())


def assert_fails_closed(status: int, report: dict, err: str, documents: list[Any] | None) -> None:
    """The properties every scan holds; `documents` is the stream as a plain parser reads it, None
    when a plain parser cannot read it."""
    assert "Traceback" not in err and "unexpected failure" not in err, err
    assert status == EXIT_STATUS[report["summary"]["verdict"]]
    if status == 2:
        assert report["errors"]
        return
    assert report["errors"] == [] and report["resources"]
    assert documents is not None, "passed or failed an input a plain YAML parser cannot read"
    expected = objects_in(documents)
    assert sorted(canonical(r["inputs"]) for r in report["resources"]) == sorted(canonical(o) for o in expected)
    for entry in report["resources"]:
        assert entry["type"] in WORKLOADS or not carries_pod_spec(entry["inputs"]), entry["type"]


# libyaml, as the scan (and kubectl's go-yaml, a port of it) parses: PyYAML's pure-Python scanner
# refuses some valid YAML (a tab after a plain scalar at the end of a line) that both accept.
PLAIN_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def plain_documents(data: bytes) -> list[Any] | None:
    try:
        return list(yaml.load_all(data, Loader=PLAIN_LOADER))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return None


# --- random bytes, alone and inside a real manifest ---------------------------------------------

REAL = yaml.safe_dump_all([deployment("web"), workload("CronJob", "backup"), workload("PodTemplate", "tpl")]).encode()


@SETTINGS
@given(st.binary(max_size=2_000))
def test_random_bytes(data):
    status, report, err = scanned("random.yaml", data)
    assert_fails_closed(status, report, err, plain_documents(data))


def test_a_tab_after_a_plain_scalar_is_read_as_libyaml_reads_it():
    # Valid YAML that PyYAML's pure-Python scanner refuses; found by the property below.
    spliced = REAL.replace(b"kind: Deployment\n", b"kind: Deployment\t\n", 1)
    status, report, err = scanned("spliced.yaml", spliced)
    assert_fails_closed(status, report, err, plain_documents(spliced))
    assert report["resources"]


@SETTINGS
@given(st.data())
def test_random_bytes_spliced_into_a_real_manifest(data):
    start = data.draw(st.integers(0, len(REAL)))
    end = data.draw(st.integers(start, min(len(REAL), start + 40)))
    spliced = REAL[:start] + data.draw(st.binary(max_size=40)) + REAL[end:]
    status, report, err = scanned("spliced.yaml", spliced)
    assert_fails_closed(status, report, err, plain_documents(spliced))


# --- random YAML and JSON values ----------------------------------------------------------------

WORDS = st.sampled_from(["apiVersion", "kind", "metadata", "name", "namespace", "labels", "items", "spec", "template",
                         "jobTemplate", "containers", "initContainers", "image", "securityContext", "privileged"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 300, max_value=10 ** 400),
    st.floats(), st.text(max_size=12),
    st.sampled_from(["v1", "apps/v1", "apps/v1beta1", "example.com/v1", "Deployment", "Pod", "List", "PodList",
                     "Widget", "nginx:latest", "default"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS | st.text(max_size=6), inner, max_size=5),
                      max_leaves=25)
OBJECTS = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["v1", "apps/v1", "batch/v1", "apps/v1beta1", "example.com/v1"]) | VALUES,
     "kind": st.sampled_from(["Pod", "Deployment", "CronJob", "List", "DeploymentList", "ConfigMap", "Widget"]) | VALUES},
    optional={"metadata": st.fixed_dictionaries({}, optional={"name": SCALARS, "namespace": SCALARS, "labels": VALUES}) | VALUES,
              "spec": VALUES, "items": VALUES, "template": VALUES},
)
DOCUMENTS = st.lists(OBJECTS | VALUES, min_size=1, max_size=4)


@SETTINGS
@given(DOCUMENTS)
def test_random_yaml_documents(documents):
    text = yaml.safe_dump_all(documents).encode()
    status, report, err = scanned("values.yaml", text)
    assert_fails_closed(status, report, err, plain_documents(text))


@SETTINGS
@given(OBJECTS | VALUES)
def test_random_json_values(value):
    text = json.dumps(value).encode()
    status, report, err = scanned("value.json", text)
    assert_fails_closed(status, report, err, [value])


# --- real manifests mutated at random -----------------------------------------------------------

BASE = [deployment("web"), workload("CronJob", "backup"), workload("ReplicationController", "legacy"),
        workload("PodTemplate", "tpl"), workload("Pod", "debug"),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "apps"},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}]


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value inside a document."""
    found = [path]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found += places(child, path + (key,))
    return found


def mutated(document: Any, path: tuple, how: str, value: Any) -> Any:
    """The document with one change at `path`: replaced by `value`, removed, or wrapped in a list."""
    if not path:
        return value if how == "replace" else [document]
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if how == "remove":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value if how == "replace" else [parent[path[-1]]]
    return copy


@SETTINGS
@given(st.data())
def test_mutated_real_manifests(data):
    documents = list(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(documents) - 1))
        path = data.draw(st.sampled_from(places(documents[index])))
        how = data.draw(st.sampled_from(["replace", "remove", "wrap"] if path else ["replace", "wrap"]))
        documents[index] = mutated(documents[index], path, how, data.draw(VALUES))
    if data.draw(st.booleans()):
        text, name = json.dumps({"apiVersion": "v1", "kind": "List", "items": documents}).encode(), "manifests.json"
        plain = [json.loads(text)]
    else:
        text, name = yaml.safe_dump_all(documents).encode(), "manifests.yaml"
        plain = plain_documents(text)
    status, report, err = scanned(name, text)
    assert_fails_closed(status, report, err, plain)


def test_the_unmutated_manifests_are_judged_in_full():
    # The baseline the mutations start from: without it, a scan that errs on everything would pass.
    text = yaml.safe_dump_all(BASE).encode()
    status, report, err = scanned("manifests.yaml", text)
    assert status in (0, 1) and len(report["resources"]) == len(BASE)
    assert_fails_closed(status, report, err, plain_documents(text))


# --- bounded memory -----------------------------------------------------------------------------

# The child reads its own peak: VmHWM, the high-water mark of its own memory, which exec starts
# afresh. (ru_maxrss would not do: after fork and exec it still carries the test run's own peak.)
CHILD = """
import re, sys
from pathlib import Path
from preflight.__main__ import main
status = main(sys.argv[1:])
print(status, re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
"""
PEAK_LIMIT_MIB = 256


def scan_in_a_child(path: Path, tmp_path: Path) -> tuple[int, float, dict]:
    """(exit status, peak resident MiB, report) of a scan run as its own process."""
    output = tmp_path / "report.json"
    child = subprocess.run([sys.executable, "-c", CHILD, "scan", str(path), "--format", "json", "--output", str(output)],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    status, peak_kib = child.stdout.split()
    assert "Traceback" not in child.stderr
    return int(status), int(peak_kib) / 1024, json.loads(output.read_text())


def billion_laughs() -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 10)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_in_bounded_memory(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    status, peak, report = scan_in_a_child(bomb, tmp_path)
    assert status == 2 and "alias" in report["errors"][0]["message"]
    assert peak < PEAK_LIMIT_MIB


def test_a_big_deeply_nested_file_is_refused_in_bounded_memory(tmp_path):
    # Just under the file size limit, nested far past any parser's limit, as YAML and as JSON.
    depth = 4 * 1024 * 1024 - 64
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "deep.yaml").write_text("a: " + "[" * depth + "]" * depth)
    (manifests / "deep.json").write_text("[" * depth + "]" * depth)
    status, peak, report = scan_in_a_child(manifests, tmp_path)
    assert status == 2 and {Path(e["path"]).name for e in report["errors"] if "nest" in e["message"]} == {"deep.yaml", "deep.json"}
    assert peak < PEAK_LIMIT_MIB

