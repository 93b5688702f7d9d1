"""Every pod the three charts run has a fixed, high uid/gid of its own (issue 11), like the app's."""
from __future__ import annotations

from k8s_plan import pod_spec, workloads
from preflight.model import Plan

RELEASE = "kubernetes:helm.sh/v3:Release"
KYVERNO_JOBS = (("webhooksCleanup",), ("policyReportsCleanup",), ("cleanupJobs", "admissionReports"), ("cleanupJobs", "clusterAdmissionReports"))
# Argo CD names its pod-level contexts securityContext, its container-level ones containerSecurityContext.
ARGO_CD_POD_CONTEXTS = {("global", "securityContext"), ("redis", "securityContext")}
# Per chart: its uid, then each workload's pod-level and container-level security context paths.
CHART_IDENTITIES = {
    "kyverno": (10100, {
        "admission-controller": (("admissionController", "podSecurityContext"),
                                 ("admissionController", "container", "securityContext"),
                                 ("admissionController", "initContainer", "securityContext")),
        **{name: ((key, "podSecurityContext"), (key, "securityContext")) for name, key in (
            ("background-controller", "backgroundController"), ("cleanup-controller", "cleanupController"),
            ("reports-controller", "reportsController"))},
        **{"/".join(job): ((*job, "podSecurityContext"), (*job, "securityContext")) for job in KYVERNO_JOBS},
    }),
    "argo-cd": (10200, {
        # server, repo-server, application-controller and applicationset share the global pod context.
        "argocd": (("global", "securityContext"),),
        "redis": (("redis", "securityContext"),),
        "redis-secret-init": (("redisSecretInit", "containerSecurityContext"),),
    }),
    "external-secrets": (10300, {
        name: ((*prefix, "podSecurityContext"), (*prefix, "securityContext"))
        for name, prefix in (("controller", ()), ("webhook", ("webhook",)), ("cert-controller", ("certController",)))
    }),
}


def values(plan: Plan, chart: str) -> dict:
    return next(r for r in plan.by_type(RELEASE) if r.inputs["chart"] == chart).inputs["values"]


def at(tree: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        tree = tree[key]
    return tree


def test_every_chart_workload_runs_as_its_charts_fixed_high_uid(plan: Plan):
    for chart, (uid, workloads_) in CHART_IDENTITIES.items():
        chart_values = values(plan, chart)
        for workload, paths in workloads_.items():
            for path in paths:
                context = at(chart_values, path)
                where = (chart, workload, path)
                # A literal in the program, the same in every stack: not an Output, not a chart default.
                assert context["runAsUser"] == context["runAsGroup"] == uid >= 10000, where
                assert float(context["runAsUser"]).is_integer(), where
                assert context["runAsNonRoot"] is True, where
                if path[-1] == "podSecurityContext" or path in ARGO_CD_POD_CONTEXTS:
                    # Pod level: the emptyDir volumes are group-owned by the same id, so stay writable.
                    assert context["fsGroup"] == uid, where


def test_chart_uids_are_distinct_and_apart_from_the_apps(plan: Plan):
    chart_uids = [uid for uid, _ in CHART_IDENTITIES.values()]
    app_uids = {pod_spec(doc)["securityContext"]["runAsUser"] for doc in workloads(plan)}
    assert len(set(chart_uids)) == len(chart_uids)
    assert not set(chart_uids) & app_uids
