"""Kyverno PolicyExceptions from the waiver file (pure functions -> dicts), so admission waives
exactly what the preview waives, and nothing once the waiver has expired.

One exception per waiver in force for this stack whose rule has a Kyverno twin and whose
resources name Kubernetes objects (namespace/name globs; a URN glob has no meaning to Kyverno).
An exception only ever matches namespaces the stack manages: a glob reaching further is narrowed
to them, and a waiver of objects elsewhere (or of cluster-scoped objects) gets no exception.
Kyverno admits PolicyExceptions only from its own namespace (the admission component's chart
values), so no one with rights in an app namespace can grant themselves one; its cleanup
controller deletes each exception the day after its waiver expires.
"""
from __future__ import annotations

from datetime import date, timedelta
from fnmatch import fnmatchcase

from policies import waivers as waiver_file
from policies.workload_catalog import CATALOG, WorkloadControl

API_VERSION = "kyverno.io/v2"
KIND = "PolicyException"
# Kyverno copies a Pod rule onto every pod controller, under these names and for these kinds.
AUTOGEN_PREFIXES = ("", "autogen-", "autogen-cronjob-")
POD_CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob")
ANNOTATION = "policies.devsecops/waiver-"
# Kyverno's cleanup controller deletes an object carrying this label at the time it gives, so an
# exception ends with its waiver even before the next deploy stops declaring it.
TTL_LABEL = "cleanup.kyverno.io/ttl"


def stack_exceptions(stack: str, namespaces: tuple[str, ...], exception_namespace: str) -> list[dict]:
    """The exceptions of the shipped waiver file. A file that cannot be used gives none: admission
    then waives nothing, and the pack's policy-waivers-valid rule reports why."""
    try:
        loaded = waiver_file.load_shipped()
    except waiver_file.WaiverError:
        return []
    return policy_exceptions(loaded, stack, namespaces, exception_namespace, waiver_file.today())


def policy_exceptions(loaded: waiver_file.Waivers, stack: str, namespaces: tuple[str, ...],
                      exception_namespace: str, on: date) -> list[dict]:
    controls = {c.rule: c for c in CATALOG}
    documents = []
    for waiver in loaded.for_stack(stack):
        control = controls.get(waiver.rule)
        if control is None or waiver.expired(on):
            continue
        matches = [_match(control, [n for n in namespaces if fnmatchcase(n, ns_glob)], name_glob)
                   for ns_glob, name_glob in waiver.kubernetes_globs()]
        matches = [m for m in matches if m is not None]
        if matches:
            documents.append(_exception(waiver, control, matches, exception_namespace))
    return documents


def _match(control: WorkloadControl, namespaces: list[str], name_glob: str) -> dict | None:
    if not namespaces or control.kyverno_kinds in (("Namespace",), ("PersistentVolume",)):
        return None  # nothing the stack manages, or an object outside every namespace
    kinds = list(control.kyverno_kinds)
    names = [name_glob]
    if kinds == ["Pod"]:
        # The waived workload's own pods are named after it (<name>-<hash>-<id>, <name>-0).
        kinds += POD_CONTROLLERS
        names.append(f"{name_glob}-*")
    return {"resources": {"kinds": kinds, "namespaces": namespaces, "names": names}}


def _exception(waiver: waiver_file.Waiver, control: WorkloadControl, matches: list[dict], namespace: str) -> dict:
    prefixes = AUTOGEN_PREFIXES if control.kyverno_kinds == ("Pod",) else ("",)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": f"waiver-{waiver.rule[:44]}-{waiver.key}",
            "namespace": namespace,
            "labels": {TTL_LABEL: (waiver.expires + timedelta(days=1)).isoformat()},
            "annotations": {
                f"{ANNOTATION}rule": waiver.rule, f"{ANNOTATION}owner": waiver.owner,
                f"{ANNOTATION}ticket": waiver.ticket, f"{ANNOTATION}expires": waiver.expires.isoformat(),
                f"{ANNOTATION}reason": waiver.reason, f"{ANNOTATION}source": waiver.source,
            },
        },
        "spec": {
            "exceptions": [{"policyName": control.kyverno_policy,
                            "ruleNames": [p + r.name for r in control.kyverno_rules for p in prefixes]}],
            "match": {"any": matches},
        },
    }
