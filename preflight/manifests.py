"""Kubernetes manifests in and out: export the program's Kubernetes resources as YAML, and load
plain manifests (files, directories, multi-document YAML streams, JSON, Helm output) as the
resources Pulumi would register, so the pack's Kubernetes rules judge both the same way.

Loading fails closed, since `scan` may pass only what it judged: every file, document and list
item ends as either a Kubernetes object handed to the pack or an InputError (file, line, why).
- Files named on the command line are read whatever their extension; under a directory, every
  .yaml, .yml and .json file (in any case) is. A `.json` file holds one JSON value, any other file
  a YAML stream. Bytes are decoded as kubectl decodes them (safe_load).
- A document with `items` is a list, as kubectl reads it (whatever its kind): its items are
  flattened, nested lists too; items of a typed list without apiVersion and kind take them from the
  list (`v1 PodList` holds `v1 Pod`s). Empty documents are skipped; a document that is a list or a
  scalar is not an object.
- apiVersion, kind and metadata must have the types and forms the API server requires: a value it
  would refuse cannot be judged as what it claims to be.
- A workload the pack judges must hold its pod spec where the pack reads it. Any other object that
  carries a pod spec is an error naming its apiVersion and kind: an unknown CRD, or a judged kind
  under another version of its API (apps/v1beta1 Deployment, extensions/v1beta1 DaemonSet). Those
  are never judged as the known type: their schema is not the one the rules read.
- A scan holds at most --max-nodes values in all, aliases expanded, however many files share them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Iterator, NamedTuple

import yaml

from policies.pods import WORKLOADS
from policies.sdk_proxy import UNKNOWN_VALUES
from preflight.model import Plan, RecordedResource
from preflight.parallel_map import ordered_map
from preflight.policy_values import SIG_KEY
from preflight.report import InputError, Location, redact
from preflight.safe_load import DEFAULT_LIMITS, Document, Limits, LoadError, load_json, measure, read_text, yaml_documents

# Pulumi constructs in the kubernetes package that are not objects in the cluster.
NOT_MANIFESTS = ("kubernetes:helm.sh/",)
DIRECTORY_SUFFIXES = (".yaml", ".yml", ".json")


def type_token(api_version: str, kind: str) -> str:
    """apps/v1 Deployment -> kubernetes:apps/v1:Deployment; v1 Pod -> kubernetes:core/v1:Pod."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


def api_version_of(token: str) -> tuple[str, str]:
    _, group_version, kind = token.split(":", 2)
    return group_version.removeprefix("core/"), kind


def is_manifest_type(token: str) -> bool:
    return token.startswith("kubernetes:") and not token.startswith(NOT_MANIFESTS)


# --- out: the program's Kubernetes resources as files -------------------------------------------

def manifest_of(resource: RecordedResource) -> dict[str, Any]:
    """The resource as a manifest: secrets redacted, and whole numbers written as integers (the
    engine records every number as a double; `replicas: 1.0` is not what anyone writes or applies)."""
    api_version, kind = api_version_of(resource.type)
    body = whole_numbers(redact(resource.inputs))
    return {"apiVersion": api_version, "kind": kind, **{k: v for k, v in body.items() if k not in ("apiVersion", "kind")}}


def export_manifests(plan: Plan, directory: Path) -> list[Path]:
    """Writes one YAML file per Kubernetes resource; returns the paths in registration order.

    A file is named after what it holds (kind, namespace, name), never after the order the program
    registered it in, which can change from run to run: the same resource gets the same file each
    time, so exported directories diff cleanly. Objects that would share a name get a suffix from
    their URN, which is stable too.
    """
    directory.mkdir(parents=True, exist_ok=True)
    manifests = [(r, manifest_of(r)) for r in plan.resources if is_manifest_type(r.type)]
    names = [_file_stem(resource, manifest) for resource, manifest in manifests]
    shared = {stem for stem in names if names.count(stem) > 1}
    written = []
    for (resource, manifest), stem in zip(manifests, names):
        if stem in shared:
            stem = f"{stem}-{hashlib.sha256(resource.urn.encode()).hexdigest()[:8]}"
        path = directory / f"{stem}.yaml"
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        written.append(path)
    return written


def _file_stem(resource: RecordedResource, manifest: dict[str, Any]) -> str:
    """kind-namespace-name, in characters safe in any file system (a name can never leave the directory)."""
    metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
    parts = [manifest["kind"].lower(), metadata.get("namespace") or "", metadata.get("name") or resource.name]
    safe = [re.sub(r"[^A-Za-z0-9._-]+", "_", str(part)).strip(".") for part in parts]
    return "-".join(part for part in safe if part)


def whole_numbers(value: Any) -> Any:
    """The value with every whole float as an int: the engine records numbers as doubles
    (protobuf Struct), Kubernetes has integers."""
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- in: plain manifests as resources -----------------------------------------------------------

# The forms the API server accepts: a DNS-subdomain group (none for core) and a DNS-label version;
# a kind is a DNS label too, in CamelCase.
API_VERSION = re.compile(r"(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
KIND = re.compile(r"[A-Za-z](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?")
CONTAINER_GROUPS = ("containers", "initContainers", "ephemeralContainers")
# An API group whose workload kinds moved to apps/ and batch/; its versions are gone from clusters.
RETIRED_WORKLOAD_GROUP = "extensions"
# Marks the pack's SDK reads inside props as something else (a secret's value, an unknown): in a
# manifest they would make the pack judge a value kubectl never applies.
ENGINE_MARKERS = ((SIG_KEY, "Pulumi's property signature key"),
                  *((unknown, "Pulumi's unknown-value marker") for unknown in UNKNOWN_VALUES))


@dataclass(frozen=True)
class LoadedManifests:
    resources: tuple[RecordedResource, ...]
    locations: dict[str, Location]
    errors: tuple[InputError, ...]
    files: int


class NotJudgeable(Exception):
    """An object the pack cannot judge as written; the message says why."""


def manifest_files(paths: list[Path]) -> Iterator[tuple[Path, bool, str | None]]:
    """(path, named, problem): files named on the command line, the manifest files under directories
    (links to directories are not followed), and each directory that could not be listed, with why."""
    for path in paths:
        if not path.is_dir():
            yield path, True, None
            continue
        found: list[Path] = []
        unlisted: list[OSError] = []
        for directory, _, names in os.walk(path, onerror=unlisted.append):
            found += [Path(directory, name) for name in names if Path(name).suffix.lower() in DIRECTORY_SUFFIXES]
        yield from ((p, False, None) for p in sorted(found))
        yield from ((Path(err.filename), False, f"cannot list this directory: {err.strerror or err}") for err in unlisted)


def load_manifests(paths: list[Path], root: Path | None = None, progress=None, limits: Limits = DEFAULT_LIMITS,
                   judged_types: Collection[str] = frozenset(WORKLOADS)) -> LoadedManifests:
    """Every object in `paths` as a resource; `judged_types` are the types the pack's rules judge."""
    resources: list[RecordedResource] = []
    locations: dict[str, Location] = {}
    errors: list[InputError] = []
    names = _Names()
    known = KnownKinds(judged_types)
    budget = _ValueBudget(limits)
    files = list(manifest_files(paths))
    base = os.path.realpath(root) if root is not None else None

    def read(file: tuple[Path, bool, str | None]) -> tuple[str, str | None, list[_ReadDocument]]:
        """What one file holds, judged as far as the file alone decides (a pure function of it)."""
        path, named, problem = file
        shown = _display(path, base)
        if problem:
            return shown, problem, []
        return shown, None, [_read(document, known, limits) for document in _documents(path, shown, named, limits)]

    # Files are read on every core, then admitted here in file order (names and the budget depend on it).
    # A worker holds no more values than a scan admits (--max-nodes), so memory stays bounded.
    answers = ordered_map(files, read, weight=_values_read, cap=limits.max_nodes)
    for count, (shown, problem, documents) in enumerate(answers, start=1):
        if progress:
            progress(count, len(files))
        if problem:
            errors.append(InputError(shown, None, problem))
            continue
        for document in documents:
            if document.error is not None:
                errors.append(InputError.of(document.error))
                continue
            for where, prepared in document.objects:
                try:
                    resource = _admitted(prepared, names, budget)
                except NotJudgeable as why:
                    errors.append(InputError(shown, document.line, f"{where}{why}"))
                    continue
                resources.append(resource)
                locations[resource.urn] = Location(shown, document.line)
    return LoadedManifests(tuple(resources), locations, tuple(errors), len(files))


def _documents(path: Path, shown: str, named: bool, limits: Limits) -> Iterator[Document]:
    """The documents of one file; a file that cannot be read is one document carrying the error."""
    try:
        if not named and not path.is_file():
            raise LoadError(shown, None, "not a regular file (a broken link, a pipe or a device), not read")
        text = read_text(path, limits, shown)
        if path.suffix.lower() == ".json":
            documents = [Document(1, load_json(text, shown, 1, limits))]
        else:
            documents = yaml_documents(text, shown, limits)
    except LoadError as err:
        documents = [Document(err.line or 1, error=err)]
    yield from documents


def _objects(document: Any) -> Iterator[tuple[str, Any]]:
    """(where, item) for each object a document holds, lists flattened as kubectl flattens them.

    `where` is empty for the document itself and names a list item ("items[2]: "). Items are yielded
    whatever they are, for the caller to judge; a list that cannot be read comes out as a
    NotJudgeable, so one bad item or list hides no other.
    """
    pending: list[tuple[str, Any, tuple[str, str] | None]] = [("", document, None)]
    while pending:
        where, item, typed = pending.pop()
        if item is None and not where:
            continue  # an empty document, as between two `---`
        if not isinstance(item, dict) or "items" not in item:
            yield where, _typed_item(item, typed)
            continue
        items, kind = item.get("items"), item.get("kind")
        if isinstance(kind, str) and not kind.endswith("List"):
            yield where, NotJudgeable(f"{_subject(item)} has `items`, so kubectl reads it as a list, yet its kind "
                                      "is not a list kind: what it would apply cannot be told")
        elif items is not None and not isinstance(items, list):
            yield where, NotJudgeable(f"{_subject(item)}: items is {_described(items)}, not a list of objects")
        else:
            item_type = _item_type(item)
            prefix = where.removesuffix(": ")
            pending += reversed([(f"{prefix}{'.' if prefix else ''}items[{index}]: ", value, item_type)
                                 for index, value in enumerate(items or [])])


def _item_type(listing: dict) -> tuple[str, str] | None:
    """What the items of a typed list are when they do not say: DeploymentList -> Deployment."""
    api_version, kind = listing.get("apiVersion"), listing.get("kind")
    if isinstance(api_version, str) and isinstance(kind, str) and kind != "List":
        return api_version, kind.removesuffix("List")
    return None


def _typed_item(item: Any, typed: tuple[str, str] | None) -> Any:
    if typed and isinstance(item, dict) and "apiVersion" not in item and "kind" not in item:
        return {"apiVersion": typed[0], "kind": typed[1], **item}
    return item


class KnownKinds:
    """The kinds the pack judges, by lower-case kind, with the API version and kind it judges."""

    def __init__(self, judged_types: Collection[str]):
        self.types = frozenset(judged_types)
        self.judged: dict[str, list[tuple[str, str]]] = {}
        for token in sorted(self.types):
            api_version, kind = api_version_of(token)
            if API_VERSION.fullmatch(api_version):  # not Pulumi's own tokens (the generic CustomResource)
                self.judged.setdefault(kind.lower(), []).append((api_version, kind))

    def elsewhere(self, api_version: str, kind: str) -> list[str]:
        """How the pack judges this kind ("apps/v1 Deployment") when the object is written as another
        version of the same API, a retired group or another spelling; empty when it is judged as
        written, or is another API's kind of the same name (that one is judged by its shape)."""
        if type_token(api_version, kind) in self.types:
            return []
        group = _group(api_version)
        return [f"{v} {k}" for v, k in self.judged.get(kind.lower(), []) if group in (_group(v), RETIRED_WORKLOAD_GROUP)]


def _read(document: Document, known: KnownKinds, limits: Limits) -> _ReadDocument:
    """A loaded document with each of its objects prepared (or refused), where it sits beside it."""
    if document.error is not None:
        return _ReadDocument(document.line, document.error, [])
    return _ReadDocument(document.line, None, [(where, _prepared(item, known, limits, document.nodes, where))
                                               for where, item in _objects(document.value)])


def _values_read(answer: tuple[str, str | None, list[_ReadDocument]]) -> int:
    """The values a file's answer holds (the prepared objects' own)."""
    return sum(prepared.nodes for document in answer[2] for _, prepared in document.objects
               if isinstance(prepared, _Prepared))


class _ReadDocument(NamedTuple):
    """A document of a file as read: its line, why it could not be loaded, or its objects, each
    _Prepared or the NotJudgeable that says why not, after where it sits in the document."""
    line: int
    error: LoadError | None
    objects: list[tuple[str, Any]]


class _Prepared(NamedTuple):
    """An object as far as its file alone judges it: its type, size and the engine's inputs."""
    token: str
    subject: str
    nodes: int  # its values with every alias expanded, for the scan's budget
    metadata: dict  # what its resource name is made of
    inputs: dict | None
    unsendable: NotJudgeable | None  # why the engine cannot take it (reported once the budget admits it)


def _prepared(item: Any, known: KnownKinds, limits: Limits, document_nodes: int | None, where: str) -> Any:
    """The object prepared for admission, or the NotJudgeable that keeps it out."""
    try:
        if isinstance(item, NotJudgeable):
            raise item
        if not isinstance(item, dict):
            raise NotJudgeable(f"found {_described(item)} where a Kubernetes object belongs "
                               "(a mapping with apiVersion and kind)")
        _check_identity(item)
        token = type_token(item["apiVersion"], item["kind"])
        if token in WORKLOADS:
            _check_pod_spec(item, token)
        else:
            _check_unjudged_pods(item, known)
    except NotJudgeable as why:
        return why
    # A document that is the object itself was measured as it was loaded; a list item is measured
    # here (it cannot be past the file's limits, which its document held to).
    nodes = document_nodes if not where and document_nodes is not None else _size(item, limits)
    try:
        inputs, unsendable = _engine_inputs(item), None
    except NotJudgeable as why:
        inputs, unsendable = None, why
    metadata = item.get("metadata") or {}
    return _Prepared(token, _subject(item), nodes, {k: metadata.get(k) for k in ("name", "generateName", "namespace")},
                     inputs, unsendable)


def _size(item: Any, limits: Limits) -> int:
    try:
        return measure(item, limits, "", None)[0]
    except LoadError:
        return limits.max_nodes + 1  # past any budget


def _admitted(prepared: Any, names: _Names, budget: _ValueBudget) -> RecordedResource:
    """The object as the resource Pulumi would register, in scan order; raises NotJudgeable."""
    if isinstance(prepared, NotJudgeable):
        raise prepared
    budget.spend(prepared.subject, prepared.nodes)
    if prepared.unsendable is not None:
        raise prepared.unsendable
    label = names.unique(prepared.token, prepared.metadata)
    return RecordedResource(urn=f"urn:pulumi:manifests::scan::{prepared.token}::{label}", type=prepared.token,
                            name=label, custom=True, inputs=prepared.inputs)


def _check_identity(item: dict) -> None:
    """apiVersion, kind and metadata of the types and forms the API server accepts."""
    if item.get("apiVersion") is None and item.get("kind") is None:
        raise NotJudgeable("a mapping without apiVersion and kind, not a Kubernetes object")
    subject = _subject(item)
    for field, pattern, example in (("apiVersion", API_VERSION, "apps/v1"), ("kind", KIND, "Deployment")):
        value = item.get(field)
        if value is None:
            raise NotJudgeable(f"{subject} has no {field}")
        if not isinstance(value, str):
            raise NotJudgeable(f"{subject}: {field} is {_described(value)}, not text like {example}")
        if not pattern.fullmatch(value):
            raise NotJudgeable(f"{subject}: {field} {_quoted(value)} is not a Kubernetes {field} (like {example})")
    _check_metadata(item.get("metadata"), "metadata", subject)


def _check_metadata(metadata: Any, where: str, subject: str) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise NotJudgeable(f"{subject}: {where} is {_described(metadata)}, not an object")
    for key in ("name", "generateName", "namespace"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            raise NotJudgeable(f"{subject}: {where}.{key} is {_described(value)}, not a string")
    for key in ("labels", "annotations"):
        values = metadata.get(key)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise NotJudgeable(f"{subject}: {where}.{key} is {_described(values)}, not an object of strings")
        wrong = next((k for k, v in values.items() if v is not None and not isinstance(v, str)), None)
        if wrong is not None:
            raise NotJudgeable(f"{subject}: {where}.{key}.{_quoted(str(wrong), bare=True)} is {_described(values[wrong])}, "
                               "not a string (quote it)")


def _check_pod_spec(item: dict, token: str) -> None:
    """The pod spec sits where the pack reads it, with lists of containers the rules can walk."""
    path = WORKLOADS[token][1]
    subject = _subject(item)
    node: Any = item
    for depth, step in enumerate(path, start=1):
        node = node.get(step)
        if not isinstance(node, dict):
            where = ".".join(path[:depth])
            if node is None:
                raise NotJudgeable(f"{subject} has no {where}, where the pack reads its pod spec "
                                   "(a patch or a fragment? scan the rendered manifests)")
            raise NotJudgeable(f"{subject}: {where} is {_described(node)}, not an object")
    spec_path = ".".join(path)
    for group in CONTAINER_GROUPS:
        containers = node.get(group)
        if containers is not None and not isinstance(containers, list):
            raise NotJudgeable(f"{subject}: {spec_path}.{group} is {_described(containers)}, not a list of containers")
        if group == "containers" and not containers:
            raise NotJudgeable(f"{subject} has no containers at {spec_path}.containers: there is nothing to judge")
        wrong = next((index for index, c in enumerate(containers or []) if not isinstance(c, dict)), None)
        if wrong is not None:
            raise NotJudgeable(f"{subject}: {spec_path}.{group}[{wrong}] is {_described(containers[wrong])}, "
                               "not a container")
    if len(path) > 1:  # a template: its labels are what NetworkPolicies select
        _check_metadata(_at(item, path[:-1]).get("metadata"), ".".join(path[:-1] + ("metadata",)), subject)


def _check_unjudged_pods(item: dict, known: KnownKinds) -> None:
    """An object the pack does not judge as a workload must carry no pod spec."""
    versions = known.elsewhere(item["apiVersion"], item["kind"])
    if versions:
        raise NotJudgeable(f"{_subject(item)} is not judged: the pack judges {' and '.join(versions)} only; "
                           "write the manifest as that")
    where = _pod_spec_in(item)
    if where is not None:
        raise NotJudgeable(f"{_subject(item)} carries a pod spec at {_quoted(where, bare=True) or 'its top level'}, "
                           f"but the pack does not judge {item['apiVersion']} {item['kind']}: its containers would "
                           "run unjudged")


def _pod_spec_in(item: dict) -> str | None:
    """Where an object carries a pod spec: a mapping holding a list of containers, reached through
    mappings as in every built-in kind and the common CRDs (spec, spec.template.spec,
    spec.jobTemplate.spec.template.spec, spec.workload.template.spec...). Lists are not entered:
    policy documents (Kyverno, Gatekeeper) hold container patterns in their lists of rules."""
    pending: list[tuple[str, dict]] = [("", item)]
    while pending:
        where, node = pending.pop()
        if any(isinstance(node.get(group), list) for group in CONTAINER_GROUPS):
            return where
        pending += [(f"{where}.{key}" if where else str(key), value)
                    for key, value in node.items() if isinstance(value, dict)]
    return None


def _engine_inputs(item: dict) -> dict[str, Any]:
    """The object as the engine hands it to the pack: JSON values (a YAML timestamp becomes its
    text), numbers the engine can carry, none of the markers its SDK reads as something else.
    What JSON cannot carry (.nan, .inf, a date as a key) kubectl cannot send either."""
    try:
        text = json.dumps(item, default=str, allow_nan=False)
    except TypeError as err:  # a mapping key that is a date or binary: JSON keys are text
        raise NotJudgeable(f"{_subject(item)}: a mapping key is not text ({err}); quote it") from None
    except (ValueError, RecursionError) as err:  # .nan or .inf
        raise NotJudgeable(f"{_subject(item)} cannot be written as the JSON the API server reads ({err})") from None
    for marker, name in ENGINE_MARKERS:
        if marker in text:
            raise NotJudgeable(f"{_subject(item)} holds {name} {marker}, which the pack would read as another value")
    try:
        return json.loads(text, parse_int=_engine_int)
    except OverflowError:
        raise NotJudgeable(f"{_subject(item)} holds a number too large for any Kubernetes field") from None


def _engine_int(text: str) -> int:
    value = int(text)
    float(value)  # the engine carries numbers as doubles: OverflowError past their range
    return value


class _ValueBudget:
    """A scan holds at most --max-nodes values in all, as one file may (every alias expanded).

    The loader bounds each file; many files, each within the bounds, would still add up, and the
    pack's evaluation takes memory in proportion to the values it is handed (several copies of
    each: the engine's form, the rules' form, the report). So what a scan holds stays bounded
    whatever the number of files or documents, and --max-nodes raises it.
    """

    def __init__(self, limits: Limits):
        self.limits, self.used = limits, 0

    def spend(self, subject: str, nodes: int) -> None:
        """Counts an object's values against what is left."""
        if nodes > self.limits.max_nodes - self.used:
            raise NotJudgeable(f"{subject}: the scan would hold more than {self.limits.max_nodes} values, "
                               "aliases expanded (raise --max-nodes to read more)")
        self.used += nodes


class _Names:
    """Resource names unique within a scan: namespace/name, then #2, #3... for repeats."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def unique(self, token: str, metadata: dict) -> str:
        name = metadata.get("name") or metadata.get("generateName") or "unnamed"
        namespace = metadata.get("namespace")
        label = f"{namespace}/{name}" if namespace else name
        candidate, key = label, f"{token}::{label}"
        while f"{token}::{candidate}" in self.taken:
            self.next_suffix[key] = self.next_suffix.get(key, 1) + 1
            candidate = f"{label}#{self.next_suffix[key]}"
        self.taken.add(f"{token}::{candidate}")
        return candidate


def _at(item: dict, path: tuple[str, ...]) -> dict:
    for step in path:
        item = item[step]
    return item


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _subject(item: dict) -> str:
    """How a message names an object: its apiVersion, kind and name, as far as they are text."""
    metadata = item.get("metadata")
    api_version, kind = item.get("apiVersion"), item.get("kind")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    parts = [api_version, kind if isinstance(kind, str) and kind else "object", name]
    return " ".join(_quoted(p, bare=True) for p in parts if isinstance(p, str) and p)


def _quoted(value: str, bare: bool = False) -> str:
    """Text from the manifest, short and with control characters escaped."""
    short = value if len(value) <= 80 else value[:77] + "..."
    return short if bare and short.isprintable() and " " not in short else repr(short)


def _described(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _display(path: Path, base: str | None) -> str:
    """The path as reports show it: relative to `base` (a resolved directory) when it lies below it."""
    if base is not None:
        resolved = os.path.realpath(path)
        if resolved.startswith(base.rstrip("/") + "/"):
            return Path(resolved[len(base.rstrip("/")) + 1:]).as_posix()
    return path.as_posix()
