"""Every kyverno.io object the stacks register validates against Kyverno's own CRD schema, at the
version of the pinned chart (fixtures/kyverno-crds, with their provenance). The check follows the API
server: a field the schema does not declare is refused, as `kubectl apply --validate=strict` refuses
it where the server would otherwise drop it in silence, except below
`x-kubernetes-preserve-unknown-fields`. Types, required fields, enums, bounds and formats apply too,
and metadata is checked as the server's own ObjectMeta. test_k8s_manifests leaves these objects out,
because the cluster's OpenAPI document has no schema for them."""
from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft4Validator

from k8s_plan import manifests
from policies import waivers
from policies.attestations import SBOM_PREDICATE, VULN_PREDICATE
from policies.kyverno import required_policy_names
from preflight.engine import run_program
from preflight.model import Plan
from stack_variants import stack_variant
from test_k8s_manifests import cluster_version

CRD_DIR = Path(__file__).parent / "fixtures" / "kyverno-crds"
# Keywords of a structural schema that mean the same in JSON Schema draft 4, the dialect of OpenAPI
# v3.0. Inside allOf/anyOf/oneOf/not a structural schema may only hold value checks, so these pass
# through unchanged.
JSON_SCHEMA_KEYWORDS = frozenset({
    "type", "format", "enum", "default", "required", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    "minProperties", "maxProperties", "multipleOf", "allOf", "anyOf", "oneOf", "not",
})
# Documentation, and hints on how the API server merges or stores a value: nothing to check.
NOT_CHECKED = frozenset({"description", "x-kubernetes-map-type", "x-kubernetes-list-map-keys"})
CONVERTED = frozenset({
    "properties", "items", "additionalProperties", "nullable", "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string", "x-kubernetes-list-type",
})
# The formats the API server checks in ObjectMeta beyond its types (apimachinery's validation).
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
WAIVED_ON = date(2030, 6, 1)
DELETE = object()


def json_schema(node: dict[str, Any]) -> dict[str, Any]:
    """The draft-4 JSON Schema that accepts what the API server accepts at this node of a structural
    schema, refusing unknown fields (strict field validation) where the server would prune them.
    A null fails where the node is not `nullable`: the server would drop it, which loses the value
    in silence just as dropping an unknown field does."""
    unmodelled = set(node) - JSON_SCHEMA_KEYWORDS - NOT_CHECKED - CONVERTED
    if unmodelled:
        raise ValueError(f"not modelled here, so it would go unchecked: {sorted(unmodelled)}")
    schema = {key: value for key, value in node.items() if key in JSON_SCHEMA_KEYWORDS}
    if node.get("x-kubernetes-int-or-string"):
        schema["type"] = ["integer", "string"]
    list_type = node.get("x-kubernetes-list-type", "atomic")
    if list_type == "set":
        schema["uniqueItems"] = True
    elif list_type != "atomic":
        raise ValueError(f"x-kubernetes-list-type {list_type!r}: uniqueness by key is not modelled")
    if "properties" in node:
        schema["properties"] = {name: json_schema(child) for name, child in node["properties"].items()}
    if "items" in node:
        schema["items"] = json_schema(node["items"])
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        schema["additionalProperties"] = json_schema(additional)
    elif additional is not None:
        schema["additionalProperties"] = additional
    elif (node.get("type") == "object" or "properties" in node) and not node.get("x-kubernetes-preserve-unknown-fields"):
        schema["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [{"type": "null"}, schema]}
    return schema


@dataclass(frozen=True)
class Crd:
    scope: str  # Cluster or Namespaced
    validator: Draft4Validator


def load_crd(path: Path) -> tuple[tuple[str, str], Crd]:
    doc = yaml.safe_load(path.read_text())
    schema = json_schema(doc["openAPIV3Schema"])
    # The server checks metadata against its own ObjectMeta type, whatever the CRD says: metadata_problems.
    schema["properties"]["metadata"] = {"type": "object"}
    validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return (f"{doc['group']}/{doc['version']}", doc["kind"]), Crd(doc["scope"], validator)


@pytest.fixture(scope="module")
def crds() -> dict[tuple[str, str], Crd]:
    return dict(load_crd(path) for path in sorted(CRD_DIR.glob("*.yaml")))


def is_dns_subdomain(text: str) -> bool:
    return len(text) <= 253 and DNS_SUBDOMAIN.fullmatch(text) is not None


def label_problems(labels: dict[str, str]) -> list[str]:
    found = []
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and not is_dns_subdomain(prefix)) or not (len(name) <= 63 and QUALIFIED_NAME.fullmatch(name)):
            found.append(f"metadata.labels: {key!r} is not a qualified name")
        if not (value == "" or (len(value) <= 63 and QUALIFIED_NAME.fullmatch(value))):
            found.append(f"metadata.labels.{key}: {value!r} is not a valid label value")
    return found


def metadata_problems(metadata: dict, kubernetes_version: str) -> list[str]:
    """ObjectMeta as the cluster's own API defines it (strict), checked on a ConfigMap that carries
    it, since a ConfigMap requires nothing else, and the formats the server checks on top."""
    try:
        kubernetes_validate.validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata},
                                     kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    found = label_problems(metadata.get("labels", {}))
    if not is_dns_subdomain(metadata["name"]):
        found.append(f"metadata.name: {metadata['name']!r} is not a DNS subdomain")
    return found


def problems(doc: dict, crds: dict[tuple[str, str], Crd], kubernetes_version: str) -> list[str]:
    """What the API server would refuse or drop of this object; empty when it takes all of it."""
    crd = crds.get((doc["apiVersion"], doc["kind"]))
    if crd is None:
        return [f"no CRD schema for {doc['apiVersion']} {doc['kind']} in {CRD_DIR.name}"]
    errors = sorted(crd.validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    found = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    found += metadata_problems(doc["metadata"], kubernetes_version)
    if ("namespace" in doc["metadata"]) != (crd.scope == "Namespaced"):
        found.append(f"metadata.namespace: {'missing' if crd.scope == 'Namespaced' else 'set'} on a {crd.scope}-scoped kind")
    return found


def kyverno_objects(plan: Plan) -> list[dict]:
    return [doc for doc in manifests(plan) if doc["apiVersion"].startswith("kyverno.io/")]


def validated(plan: Plan, crds: dict[tuple[str, str], Crd]) -> list[dict]:
    """Every kyverno.io object of the plan, once all of them are shown to validate."""
    docs = kyverno_objects(plan)
    version = f"{cluster_version(plan.stack)}.0"
    found = [f"{d['kind']} {d['metadata']['name']}: {p}" for d in docs for p in problems(d, crds, version)]
    assert not found, "\n".join(found)
    return docs


def verify_images(docs: list[dict]) -> list[dict]:
    return [v for d in docs if d["kind"] == "ClusterPolicy" for r in d["spec"]["rules"] for v in r.get("verifyImages", [])]


@pytest.fixture(scope="module")
def rotating(tmp_path_factory) -> Plan:
    """The dev stack mid-rotation: the images are verified against either of two cosign keys."""
    path = stack_variant(tmp_path_factory.mktemp("rotation"), changes={"cosignKeys": ["cosign-2026", "cosign"]})
    return run_program(stack_file=path)


@pytest.fixture(scope="module")
def waived(tmp_path_factory) -> Plan:
    """The dev stack with one waiver in force, which the program turns into a PolicyException."""
    path = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    path.write_text(yaml.safe_dump([{
        "rule": "k8s-read-only-root-fs", "resources": ["app/frontend"], "reason": "the vendor image writes to /tmp",
        "owner": "platform-team@example.com", "ticket": "SEC-1", "expires": date(2030, 6, 30),
    }], sort_keys=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(waivers, "WAIVERS_FILE", path)
        patch.setattr(waivers, "today", lambda: WAIVED_ON)
        return run_program(stack="dev")


def test_every_kyverno_object_of_the_shipped_stacks_validates(plan, crds):
    docs = validated(plan, crds)
    assert Counter(d["kind"] for d in docs)["ClusterPolicy"] == len(required_policy_names())
    # Among them the image verification: signature, SPDX SBOM, and trivy's scan with its age and CRITICAL checks.
    [verify] = verify_images(docs)
    operators = {a["type"]: [c["operator"] for group in a["conditions"] for c in group["all"]] for a in verify["attestations"]}
    assert operators == {SBOM_PREDICATE: ["Equals"], VULN_PREDICATE: ["LessThanOrEquals", "Equals"]}


def test_the_verification_with_two_cosign_keys_validates(rotating, crds):
    [verify] = verify_images(validated(rotating, crds))
    attestor_sets = verify["attestors"] + [s for a in verify["attestations"] for s in a["attestors"]]
    assert [len(s["entries"]) for s in attestor_sets] == [2, 2, 2]  # the signature and both attestations


def test_the_policy_exception_of_a_waiver_in_force_validates(waived, crds):
    docs = validated(waived, crds)
    assert Counter(d["kind"] for d in docs)["PolicyException"] == 1


def changed(doc: dict, where: str, key: str, value: Any) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for step in where.split("."):
        target = target[int(step)] if isinstance(target, list) else target[step]
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return doc


VERIFY = "spec.rules.0.verifyImages.0"
SBOM, VULN = f"{VERIFY}.attestations.0", f"{VERIFY}.attestations.1"


@pytest.mark.parametrize(("where", "key", "value", "path", "message"), [
    pytest.param(VERIFY, "verifyDigests", True, VERIFY, "Additional properties are not allowed ('verifyDigests' was unexpected)",
                 id="unknown-field-in-verifyImages"),
    pytest.param(f"{VERIFY}.attestors.0.entries.0.keys.rekor", "ignoreTLog", True, f"{VERIFY}.attestors.0.entries.0.keys.rekor",
                 "Additional properties are not allowed ('ignoreTLog' was unexpected)", id="misspelt-field-of-a-key"),
    pytest.param(SBOM, "type", 42, f"{SBOM}.type", "42 is not of type 'string'", id="attestation-type-not-a-string"),
    pytest.param(VULN, "conditions", {"all": []}, f"{VULN}.conditions", "{'all': []} is not of type 'array'", id="attestation-conditions-not-a-list"),
    pytest.param(f"{VULN}.conditions.0.all.0", "operator", "OlderThan", f"{VULN}.conditions.0.all.0.operator", "'OlderThan' is not one of",
                 id="condition-operator-unknown"),
    pytest.param(f"{VERIFY}.attestors.0", "count", 0, f"{VERIFY}.attestors.0.count", "0 is less than the minimum of 1", id="attestor-count-zero"),
    pytest.param(VERIFY, "failureAction", "enforce", f"{VERIFY}.failureAction", "'enforce' is not one of ['Audit', 'Enforce']",
                 id="failure-action-lowercase"),
    pytest.param("spec.rules.0", "match", DELETE, "spec.rules.0", "'match' is a required property", id="rule-without-match"),
    pytest.param("metadata", "labelz", {"a": "b"}, "metadata", "Additional properties are not allowed ('labelz' was unexpected)",
                 id="unknown-metadata-field"),
    pytest.param("metadata", "namespace", "kyverno", "metadata.namespace", "set on a Cluster-scoped kind", id="namespace-on-a-cluster-policy"),
    pytest.param("metadata", "name", "Verify-Images", "metadata.name", "is not a DNS subdomain", id="name-not-a-dns-subdomain"),
])
def test_a_wrong_image_verification_policy_is_refused(dev_plan, crds, where, key, value, path, message):
    [policy] = [d for d in kyverno_objects(dev_plan) if verify_images([d])]
    version = f"{cluster_version('dev')}.0"
    assert not problems(policy, crds, version)  # as built, it passes
    found = problems(changed(policy, where, key, value), crds, version)
    assert any(p.startswith(f"{path}: ") and message in p for p in found), found


@pytest.mark.parametrize(("where", "key", "value", "path", "message"), [
    pytest.param("spec", "exceptions", DELETE, "spec", "'exceptions' is a required property", id="without-exceptions"),
    pytest.param("spec.exceptions.0", "ruleNames", "validate-readOnlyRootFilesystem", "spec.exceptions.0.ruleNames", "is not of type 'array'",
                 id="rule-names-not-a-list"),
    pytest.param("spec.match", "all", [{"resources": {"kinds": ["Pod"]}}], "spec.match", "should not be valid under {'required': ['any', 'all']}",
                 id="both-any-and-all"),
    pytest.param("metadata", "namespace", DELETE, "metadata.namespace", "missing on a Namespaced-scoped kind", id="without-namespace"),
    pytest.param("metadata.labels", "cleanup.kyverno.io/ttl", "30 June 2030", "metadata.labels.cleanup.kyverno.io/ttl", "is not a valid label value",
                 id="ttl-not-a-label-value"),
])
def test_a_wrong_policy_exception_is_refused(waived, crds, where, key, value, path, message):
    [exception] = [d for d in kyverno_objects(waived) if d["kind"] == "PolicyException"]
    found = problems(changed(exception, where, key, value), crds, f"{cluster_version('dev')}.0")
    assert any(p.startswith(f"{path}: ") and message in p for p in found), found


def test_the_structural_rules_the_converter_keeps():
    schema = Draft4Validator(json_schema({"type": "object", "properties": {
        "port": {"x-kubernetes-int-or-string": True},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "note": {"type": "string", "nullable": True},
        "names": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
    }}))
    assert schema.is_valid({"port": 8080, "free": {"any": {"thing": [1]}}, "labels": {"a": "b"}, "note": None, "names": ["x"]})
    assert schema.is_valid({"port": "http"})
    for wrong in ({"port": True}, {"port": 1.5}, {"labels": {"a": 1}}, {"other": 1}, {"free": []}, {"names": ["x", "x"]}):
        assert not schema.is_valid(wrong), wrong
    with pytest.raises(ValueError, match="x-kubernetes-validations"):
        json_schema({"type": "string", "x-kubernetes-validations": [{"rule": "self != ''"}]})
