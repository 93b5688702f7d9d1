"""Kubernetes manifests in and out: export the program's Kubernetes resources as YAML, and load
plain YAML (files, directories, multi-document streams, Helm output) as the resources Pulumi
would register, so the pack's Kubernetes rules judge both the same way."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml

from preflight.model import Plan, RecordedResource
from preflight.report import InputError, Location, redact
from preflight.safe_load import DEFAULT_LIMITS, Limits, LoadError, read_text, yaml_documents

# Pulumi constructs in the kubernetes package that are not objects in the cluster.
NOT_MANIFESTS = ("kubernetes:helm.sh/",)
YAML_SUFFIXES = (".yaml", ".yml")


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
    api_version, kind = api_version_of(resource.type)
    body = redact(resource.inputs)
    return {"apiVersion": api_version, "kind": kind, **{k: v for k, v in body.items() if k not in ("apiVersion", "kind")}}


def export_manifests(plan: Plan, directory: Path) -> list[Path]:
    """Writes one YAML file per Kubernetes resource; returns the paths in registration order."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    manifests = [r for r in plan.resources if is_manifest_type(r.type)]
    for index, resource in enumerate(manifests, start=1):
        manifest = manifest_of(resource)
        metadata = manifest.get("metadata") or {}
        parts = [f"{index:03d}", manifest["kind"].lower(), metadata.get("namespace", ""), metadata.get("name", resource.name)]
        path = directory / ("-".join(p for p in parts if p) + ".yaml")
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        written.append(path)
    return written


# --- in: plain manifests as resources -----------------------------------------------------------

@dataclass(frozen=True)
class LoadedManifests:
    resources: tuple[RecordedResource, ...]
    locations: dict[str, Location]
    errors: tuple[InputError, ...]
    files: int


def yaml_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        else:
            yield path


def _flatten(document: Any) -> Iterator[Any]:
    if isinstance(document, dict) and document.get("kind") == "List" and isinstance(document.get("items"), list):
        yield from document["items"]
    else:
        yield document


def load_manifests(paths: list[Path], root: Path | None = None, progress=None, limits: Limits = DEFAULT_LIMITS) -> LoadedManifests:
    resources: list[RecordedResource] = []
    locations: dict[str, Location] = {}
    errors: list[InputError] = []
    seen: dict[str, int] = {}
    files = list(yaml_files(paths))
    for count, path in enumerate(files, start=1):
        if progress:
            progress(count, len(files))
        shown = _display(path, root)
        try:
            text = read_text(path, limits, shown)
        except LoadError as err:
            errors.append(InputError.of(err))
            continue
        for document in yaml_documents(text, shown, limits):
            if document.error is not None:
                errors.append(InputError.of(document.error))
                continue
            first_line = document.line
            for item in _flatten(document.value):
                if item is None:
                    continue
                if not isinstance(item, dict) or not item.get("apiVersion") or not item.get("kind"):
                    errors.append(InputError(shown, first_line, "not a Kubernetes object (needs apiVersion and kind)"))
                    continue
                resource = _as_resource(item, seen)
                resources.append(resource)
                locations[resource.urn] = Location(shown, first_line)
    return LoadedManifests(tuple(resources), locations, tuple(errors), len(files))


def _as_resource(document: dict[str, Any], seen: dict[str, int]) -> RecordedResource:
    token = type_token(str(document["apiVersion"]), str(document["kind"]))
    metadata = document.get("metadata") or {}
    name = str(metadata.get("name") or metadata.get("generateName") or "unnamed")
    namespace = metadata.get("namespace")
    label = f"{namespace}/{name}" if namespace else name
    key = f"{token}::{label}"
    seen[key] = seen.get(key, 0) + 1
    if seen[key] > 1:
        label = f"{label}#{seen[key]}"
    # JSON round trip: YAML timestamps and the like become the strings the engine would send.
    inputs = json.loads(json.dumps(document, default=str))
    return RecordedResource(urn=f"urn:pulumi:manifests::scan::{token}::{label}", type=token, name=label, custom=True, inputs=inputs)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
