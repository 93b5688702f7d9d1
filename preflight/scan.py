"""`scan`: the pack's Kubernetes rules over plain manifests (files, directories, Helm output, a GitOps repo).

Fail closed: the verdict is pass only when every file was read and every object in it judged.
Everything the loader could not read or judge (preflight.manifests) is an error, and so is:
- what the pack could not judge in an object (a rule's "cannot judge", a rule that failed on it):
  the evaluation's error, placed at the object's file and line;
- a scan that found no Kubernetes object at all (an empty directory, only empty documents, a
  directory of other files): it judged nothing, so it has nothing to pass.
Violations in everything that was judged are reported beside the errors.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from preflight.evaluation import evaluate, load_pack_config
from preflight.commands import PACK_CONFIG_DIR, UsageError
from preflight.manifests import LoadedManifests, api_version_of, load_manifests
from preflight.model import Plan
from preflight.report import InputError, Report, from_evaluation
from preflight.safe_load import DEFAULT_LIMITS, Limits
from preflight.waivers import limit_in


# Stack rules that judge a set of Kubernetes objects by themselves. Other stack rules relate
# Kubernetes objects to the AWS side (vpc-cni, Helm releases) and mean nothing for bare manifests.
MANIFEST_SET_RULES = ("k8s-default-deny-network-policy", "k8s-workload-network-policy",
                      # Stack rules only so that they can read every kubernetes: type without listing them.
                      "k8s-api-version-removed", "k8s-api-version-deprecated")
NOTHING_JUDGED = "no Kubernetes objects found: nothing was judged, so the scan cannot pass"


def kubernetes_rules() -> list:
    """The pack's rules that judge Kubernetes objects alone (what a manifest scan can run; their
    metadata names the types they judge)."""
    from policies import pack

    return [r for r in pack.RULES
            if any(t.startswith("kubernetes:") for t in r.resource_types) or r.name in MANIFEST_SET_RULES]


def judged_types() -> frozenset[str]:
    """The Kubernetes resource types some rule of the scan judges."""
    return frozenset(t for r in kubernetes_rules() for t in r.resource_types if t.startswith("kubernetes:"))


def scan(paths: list[Path], pack_config: Path | None, progress: Callable[[int, int], None] | None = None,
         limits: Limits = DEFAULT_LIMITS) -> Report:
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError("not found: " + ", ".join(map(str, missing)))
    config = load_pack_config(pack_config) if pack_config else load_pack_config(PACK_CONFIG_DIR / "prod.json")
    loaded = load_manifests(paths, root=Path.cwd(), progress=progress, limits=limits, judged_types=judged_types())
    plan = Plan(project="manifests", stack="manifests", resources=loaded.resources, outputs={})
    evaluation = evaluate(plan, config, rules=kubernetes_rules())
    errors = loaded.errors + _in_manifests(evaluation.errors, loaded)
    if not loaded.resources:
        errors += (InputError(", ".join(p.as_posix() for p in paths), None, NOTHING_JUDGED),)
    return from_evaluation("scan", None, loaded.resources, evaluation, loaded.locations, errors,
                           waiver_limit=limit_in(config))


def _in_manifests(errors: tuple[InputError, ...], loaded: LoadedManifests) -> tuple[InputError, ...]:
    """Evaluation errors about a resource, each at the file and line of the object it came from."""
    by_urn = {r.urn: r for r in loaded.resources} if errors else {}
    placed = []
    for error in errors:
        resource, where = by_urn.get(error.path), loaded.locations.get(error.path)
        if resource is None or where is None:
            placed.append(error)  # about the set of objects, not one of them
            continue
        subject = " ".join(api_version_of(resource.type) + (resource.name,))
        placed.append(InputError(where.path, where.line, f"{subject}: {error.message}"))
    return tuple(placed)
