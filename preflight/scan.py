"""`scan`: the pack's Kubernetes rules over plain manifests (files, directories, Helm output, a GitOps repo)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from preflight.analyzer import evaluate, load_pack_config
from preflight.commands import PACK_CONFIG_DIR, UsageError
from preflight.model import Plan
from preflight.report import Report, from_evaluation
from preflight.safe_load import DEFAULT_LIMITS, Limits


# Stack rules that judge a set of Kubernetes objects by themselves. Other stack rules relate
# Kubernetes objects to the AWS side (vpc-cni, Helm releases) and mean nothing for bare manifests.
MANIFEST_SET_RULES = ("k8s-default-deny-network-policy", "k8s-workload-network-policy")


def kubernetes_policies() -> list:
    """The pack's rules that judge Kubernetes objects alone (what a manifest scan can run)."""
    from policies import pack

    return [
        r.to_policy() for r in pack.RULES
        if any(t.startswith("kubernetes:") for t in r.resource_types) or r.name in MANIFEST_SET_RULES
    ]


def scan(paths: list[Path], pack_config: Path | None, progress: Callable[[int, int], None] | None = None,
         limits: Limits = DEFAULT_LIMITS) -> Report:
    from preflight.manifests import load_manifests

    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError("not found: " + ", ".join(map(str, missing)))
    config = load_pack_config(pack_config) if pack_config else load_pack_config(PACK_CONFIG_DIR / "prod.json")
    loaded = load_manifests(paths, root=Path.cwd(), progress=progress, limits=limits)
    plan = Plan(project="manifests", stack="manifests", resources=loaded.resources, outputs={})
    evaluation = evaluate(plan, config, policies=kubernetes_policies())
    return from_evaluation("scan", None, loaded.resources, evaluation, loaded.locations, loaded.errors)
