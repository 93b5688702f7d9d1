"""Every Pod Security Standards control (baseline and restricted, Kubernetes 1.33) judged by both twins
on the same manifests: the CrossGuard rule at preview, and its generated Kyverno policy at admission
(run through `kyverno_engine`, a port of Kyverno's validation engine, with the rules Kyverno generates
for pod controllers). Each case runs on a Pod, every pod controller and a CronJob, and holds only if
both twins say what it expects.

A PodTemplate is judged at preview only: Kyverno generates no rules for it, and nothing runs from a
PodTemplate without a controller, which Kyverno judges.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kyverno_engine import applies, failed_rules
from policies import kyverno
from policies.pods import PERSISTENT_VOLUME, WORKLOADS
from policies.workload_catalog import CATALOG, KyvernoParams, control
from policy_plans import DELETE, UNKNOWN, assert_outcome, changed, resource, run
from test_rules_on_random_props import JSON_VALUES
from test_wrong_types import assert_cannot_judge

IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/devsecops-dev/web@sha256:" + "a" * 64
# periodSeconds as the API server defaults it before admission webhooks see the object.
PROBE = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
GOOD_CONTAINER = {
    "name": "web",
    "image": IMAGE,
    "ports": [{"containerPort": 8080}],
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
    "livenessProbe": PROBE,
    "readinessProbe": PROBE,
    "env": [{"name": "LOG_LEVEL", "value": "info"}],
    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "db", "mountPath": "/run/secrets/db", "readOnly": True}],
}
# A pod as a controller's template holds it: its metadata and spec.
GOOD_POD = {
    "metadata": {"labels": {"app": "web"}},
    "spec": {
        "automountServiceAccountToken": False,
        "serviceAccountName": "web",
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [GOOD_CONTAINER],
        "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "db", "secret": {"secretName": "db"}}],
    },
}
KINDS = {kind: token for token, (kind, _) in WORKLOADS.items()}
API_VERSIONS = {"Pod": "v1", "PodTemplate": "v1", "ReplicationController": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}
ADMITTED_KINDS = sorted(set(KINDS) - {"PodTemplate"})
POLICIES = {c.rule: kyverno.cluster_policy(c, KyvernoParams(failure_action="Enforce")) for c in CATALOG}
C = "spec.containers.0"


def manifest(kind: str, pod: dict) -> dict:
    """The object of `kind` that runs `pod`, as a manifest (and as Pulumi's inputs, which read the same)."""
    head = {"apiVersion": API_VERSIONS.get(kind, "apps/v1"), "kind": kind, "metadata": {"name": "web", "namespace": "app"}}
    if kind == "Pod":
        return {**head, "metadata": {**head["metadata"], **pod["metadata"]}, "spec": pod["spec"]}
    if kind == "PodTemplate":
        return {**head, "template": pod}
    if kind == "CronJob":
        return {**head, "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": pod}}}}
    return {**head, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": pod}}


def other_container(name: str, path: str, value) -> list[dict]:
    """A one-element container list: the good container, renamed, with one field changed."""
    return [changed({**GOOD_CONTAINER, "name": name}, path, value)]


def ephemeral(path: str, value) -> list[dict]:
    # Kubernetes forbids ports, probes and resources on ephemeral containers.
    bare = {k: v for k, v in GOOD_CONTAINER.items() if k not in ("ports", "livenessProbe", "readinessProbe", "resources")}
    return [changed({**bare, "name": "debug"}, path, value)]


APPARMOR = "metadata.annotations"
APPARMOR_KEY = "container.apparmor.security.beta.kubernetes.io/web"

# (rule, path in the pod, value, expected): one field of the good pod changed.
CASES = [
    # Baseline: Capabilities (exact names, every container group)
    ("k8s-capabilities-baseline", f"{C}.securityContext.capabilities.add", ["SYS_ADMIN"], "fail"),
    ("k8s-capabilities-baseline", f"{C}.securityContext.capabilities.add", ["sys_admin"], "fail"),
    ("k8s-capabilities-baseline", f"{C}.securityContext.capabilities.add", ["CAP_SYS_ADMIN"], "fail"),
    ("k8s-capabilities-baseline", f"{C}.securityContext.capabilities.add", ["NET_BIND_SERVICE", "CHOWN", "KILL"], "pass"),
    ("k8s-capabilities-baseline", "spec.initContainers", other_container("init", "securityContext.capabilities.add", ["NET_RAW"]), "fail"),
    ("k8s-capabilities-baseline", "spec.ephemeralContainers", ephemeral("securityContext.capabilities.add", ["SYS_PTRACE"]), "fail"),
    # Restricted: Capabilities
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.add", ["NET_BIND_SERVICE"], "pass"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.add", ["net_bind_service"], "fail"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.add", ["CHOWN"], "fail"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.drop", ["NET_RAW"], "fail"),
    ("k8s-drop-all-capabilities", "spec.initContainers", other_container("init", "securityContext.capabilities", {}), "fail"),
    # Baseline: HostProcess (pod and containers)
    ("k8s-no-host-process", "spec.securityContext.windowsOptions", {"hostProcess": True}, "fail"),
    ("k8s-no-host-process", f"{C}.securityContext.windowsOptions", {"hostProcess": True}, "fail"),
    ("k8s-no-host-process", "spec.ephemeralContainers", ephemeral("securityContext.windowsOptions", {"hostProcess": True}), "fail"),
    ("k8s-no-host-process", f"{C}.securityContext.windowsOptions", {"hostProcess": False}, "pass"),
    # Baseline: /proc Mount Type
    ("k8s-proc-mount-default", f"{C}.securityContext.procMount", "Unmasked", "fail"),
    ("k8s-proc-mount-default", "spec.initContainers", other_container("init", "securityContext.procMount", "Unmasked"), "fail"),
    ("k8s-proc-mount-default", f"{C}.securityContext.procMount", "Default", "pass"),
    # Baseline: Sysctls
    ("k8s-safe-sysctls", "spec.securityContext.sysctls", [{"name": "net.core.somaxconn", "value": "1024"}], "fail"),
    ("k8s-safe-sysctls", "spec.securityContext.sysctls", [{"name": "kernel.shm_rmid_forced", "value": "1"},
                                                          {"name": "kernel.msgmax", "value": "65536"}], "fail"),
    ("k8s-safe-sysctls", "spec.securityContext.sysctls", [{"name": "kernel.shm_rmid_forced", "value": "1"},
                                                          {"name": "net.ipv4.tcp_rmem", "value": "4096 87380 6291456"}], "pass"),
    # Baseline: SELinux (pod and containers; level may be set)
    ("k8s-selinux-options", "spec.securityContext.seLinuxOptions", {"type": "spc_t"}, "fail"),
    ("k8s-selinux-options", f"{C}.securityContext.seLinuxOptions", {"user": "system_u"}, "fail"),
    ("k8s-selinux-options", "spec.initContainers", other_container("init", "securityContext.seLinuxOptions", {"role": "sysadm_r"}), "fail"),
    ("k8s-selinux-options", f"{C}.securityContext.seLinuxOptions", {"type": "container_engine_t", "level": "s0:c123,c456"}, "pass"),
    ("k8s-selinux-options", "spec.securityContext.seLinuxOptions", {"type": "", "user": ""}, "pass"),
    # Baseline: AppArmor (field at both levels, and every annotation)
    ("k8s-apparmor-profile", "spec.securityContext.appArmorProfile", {"type": "Unconfined"}, "fail"),
    ("k8s-apparmor-profile", f"{C}.securityContext.appArmorProfile", {"type": "Unconfined"}, "fail"),
    ("k8s-apparmor-profile", f"{C}.securityContext.appArmorProfile", {"type": "Localhost", "localhostProfile": "k8s-web"}, "pass"),
    ("k8s-apparmor-profile", APPARMOR, {APPARMOR_KEY: "unconfined"}, "fail"),
    ("k8s-apparmor-profile", APPARMOR, {APPARMOR_KEY: "runtime/default", APPARMOR_KEY + "-2": "unconfined"}, "fail"),
    ("k8s-apparmor-profile", APPARMOR, {APPARMOR_KEY: "localhost/k8s-web", "example.com/other": "unconfined"}, "pass"),
    # Restricted: Volume Types
    ("k8s-restricted-volume-types", "spec.volumes.1", {"name": "data", "nfs": {"server": "nfs.example", "path": "/"}}, "fail"),
    ("k8s-restricted-volume-types", "spec.volumes.1", {"name": "data", "awsElasticBlockStore": {"volumeID": "vol-1"}}, "fail"),
    ("k8s-restricted-volume-types", "spec.volumes.1", {"name": "data", "hostPath": {"path": "/"}}, "fail"),
    ("k8s-restricted-volume-types", "spec.volumes.1", {"name": "repo", "gitRepo": {"repository": "https://example.com/r"}}, "fail"),
    ("k8s-restricted-volume-types", "spec.volumes", [
        {"name": "a", "configMap": {"name": "c"}}, {"name": "b", "csi": {"driver": "ebs.csi.aws.com"}},
        {"name": "c", "downwardAPI": {"items": []}}, {"name": "d", "emptyDir": {}},
        {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
        {"name": "f", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "g", "projected": {"sources": []}}, {"name": "h", "secret": {"secretName": "s"}}], "pass"),
    # Secrets as files (CIS EKS 4.4.1 / CIS Kubernetes 5.4.1)
    ("k8s-secrets-as-files", f"{C}.env.0", {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "p"}}}, "fail"),
    ("k8s-secrets-as-files", f"{C}.envFrom", [{"secretRef": {"name": "db"}}], "fail"),
    ("k8s-secrets-as-files", "spec.initContainers", other_container(
        "init", "env.0", {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "t", "key": "k"}}}), "fail"),
    ("k8s-secrets-as-files", f"{C}.env.0", {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "m"}}}, "pass"),
    ("k8s-secrets-as-files", f"{C}.envFrom", [{"configMapRef": {"name": "c"}}], "pass"),
    # No literal secrets in the environment; a NAME_FILE path to a mounted secret is not one
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD", "value": "hunter2"}, "fail"),
    ("k8s-no-plaintext-secret-env", "spec.initContainers", other_container("init", "env.0", {"name": "API_KEY", "value": "k"}), "fail"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db/p"}, "pass"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD_FILE", "value": "hunter2"}, "fail"),
    # Baseline: Privileged Containers, Host Namespaces, HostPath Volumes, Host Ports
    ("k8s-no-privileged", "spec.ephemeralContainers", ephemeral("securityContext.privileged", True), "fail"),
    ("k8s-no-privileged", f"{C}.securityContext.privileged", False, "pass"),
    ("k8s-no-host-namespaces", "spec.hostPID", True, "fail"),
    ("k8s-no-host-namespaces", "spec.hostNetwork", False, "pass"),
    ("k8s-no-host-path", "spec.volumes.1", {"name": "root", "hostPath": {"path": "/"}}, "fail"),
    ("k8s-no-host-ports", f"{C}.ports.0.hostPort", 8080, "fail"),
    ("k8s-no-host-ports", "spec.initContainers", other_container("init", "ports.0.hostPort", 9090), "fail"),
    ("k8s-no-host-ports", f"{C}.ports.0.hostPort", 0, "pass"),
    # Restricted: Running as Non-root, Running as Non-root user, Privilege Escalation, Seccomp
    ("k8s-run-as-non-root", "spec.securityContext.runAsNonRoot", False, "fail"),
    ("k8s-run-as-non-root", "spec.securityContext.runAsUser", 0, "fail"),
    ("k8s-run-as-non-root", f"{C}.securityContext.runAsUser", 0, "fail"),
    ("k8s-run-as-non-root", "spec.securityContext", {"seccompProfile": {"type": "RuntimeDefault"}}, "pass"),
    ("k8s-run-as-non-root", "spec.initContainers", other_container("init", "securityContext.runAsNonRoot", False), "fail"),
    ("k8s-no-privilege-escalation", "spec.initContainers", other_container("init", "securityContext.allowPrivilegeEscalation", DELETE), "fail"),
    ("k8s-no-privilege-escalation", f"{C}.securityContext.allowPrivilegeEscalation", True, "fail"),
    ("k8s-seccomp-profile", f"{C}.securityContext.seccompProfile", {"type": "Unconfined"}, "fail"),
    ("k8s-seccomp-profile", "spec.securityContext.seccompProfile", {"type": "Unconfined"}, "fail"),
    ("k8s-seccomp-profile", "spec.securityContext.seccompProfile", DELETE, "fail"),
    ("k8s-seccomp-profile", f"{C}.securityContext.seccompProfile", {"type": "Localhost", "localhostProfile": "p.json"}, "pass"),
]
# A pod-level Unconfined is refused even when every container sets its own profile.
CASES.append(("k8s-seccomp-profile", "spec", changed(changed(GOOD_POD["spec"], "securityContext.seccompProfile.type", "Unconfined"),
                                                       "containers.0.securityContext.seccompProfile", {"type": "RuntimeDefault"}), "fail"))


def case_id(case) -> str:
    rule, path, value, expected = case
    return f"{rule}:{path}:{expected}"


def crossguard_messages(rule: str, kind: str, pod: dict) -> list[str]:
    return list(control(rule).check(KINDS[kind], manifest(kind, pod), {}))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_good_pod_passes_every_crossguard_control(kind):
    for c in CATALOG:
        if kind in c.crossguard_kinds:
            assert crossguard_messages(c.rule, kind, GOOD_POD) == [], c.rule


@pytest.mark.parametrize("kind", ADMITTED_KINDS)
def test_the_good_pod_passes_every_kyverno_policy_that_judges_it(kind):
    for c in CATALOG:
        if c.rule == "k8s-image-digest-pinned":
            continue  # verifyImages checks a registry signature: nothing to judge in a manifest
        policy, subject = POLICIES[c.rule], manifest(kind, GOOD_POD)
        if c.kyverno_kinds == ("Pod",):  # a pod control must reach every pod controller through autogen
            assert applies(policy, subject), c.rule
        assert failed_rules(policy, subject) == [], c.rule


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_crossguard_twin(case, kind):
    rule, path, value, expected = case
    messages = crossguard_messages(rule, kind, changed(GOOD_POD, path, value))
    assert bool(messages) == (expected == "fail"), messages


@pytest.mark.parametrize("kind", ADMITTED_KINDS)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_kyverno_twin(case, kind):
    rule, path, value, expected = case
    subject = manifest(kind, changed(GOOD_POD, path, value))
    assert applies(POLICIES[rule], subject)
    refused = failed_rules(POLICIES[rule], subject)
    assert bool(refused) == (expected == "fail"), refused


# --- PersistentVolume hostPath --------------------------------------------------------------------

PV = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "data"},
      "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
               "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"}}}
HOST_PATH_PV = changed(changed(PV, "spec.csi", DELETE), "spec.hostPath", {"path": "/"})


@pytest.mark.parametrize("volume,expected", [(PV, "pass"), (HOST_PATH_PV, "fail")])
def test_host_path_persistent_volume_twins(volume, expected):
    rule = "k8s-no-host-path-persistent-volume"
    assert bool(list(control(rule).check(PERSISTENT_VOLUME, volume, {}))) == (expected == "fail")
    assert bool(failed_rules(POLICIES[rule], volume)) == (expected == "fail")


@pytest.mark.parametrize("volume,expected", [
    (PV, "pass"), (HOST_PATH_PV, "fail"),
    (changed(HOST_PATH_PV, "spec.hostPath", UNKNOWN), "fail"),  # presence: something will be there
])
def test_host_path_persistent_volume_through_the_pack(volume, expected):
    assert_outcome(run(resource(PERSISTENT_VOLUME, "data", volume)), "k8s-no-host-path-persistent-volume", expected)


# --- The new rules through the SDK's path: pass, fail, unknown, wrong type ---------------------------

DEPLOYMENT = KINDS["Deployment"]
DEPLOY = manifest("Deployment", GOOD_POD)
T = "spec.template.spec"
TC = f"{T}.containers.0"

PACK_CASES = [
    ("k8s-capabilities-baseline", f"{TC}.securityContext.capabilities.add", ["SYS_ADMIN"], "fail"),
    ("k8s-capabilities-baseline", f"{TC}.securityContext.capabilities.add", UNKNOWN, "unknown"),
    ("k8s-no-host-process", f"{T}.securityContext.windowsOptions", {"hostProcess": True}, "fail"),
    ("k8s-no-host-process", f"{T}.securityContext.windowsOptions", {"hostProcess": UNKNOWN}, "unknown"),
    ("k8s-proc-mount-default", f"{TC}.securityContext.procMount", "Unmasked", "fail"),
    ("k8s-proc-mount-default", f"{TC}.securityContext.procMount", UNKNOWN, "unknown"),
    ("k8s-safe-sysctls", f"{T}.securityContext.sysctls", [{"name": "kernel.sem", "value": "1"}], "fail"),
    ("k8s-safe-sysctls", f"{T}.securityContext.sysctls", [{"name": UNKNOWN, "value": "1"}], "unknown"),
    ("k8s-selinux-options", f"{T}.securityContext.seLinuxOptions", {"type": "spc_t"}, "fail"),
    ("k8s-selinux-options", f"{T}.securityContext.seLinuxOptions", {"user": UNKNOWN}, "unknown"),
    ("k8s-apparmor-profile", f"{TC}.securityContext.appArmorProfile", {"type": "Unconfined"}, "fail"),
    ("k8s-apparmor-profile", f"{TC}.securityContext.appArmorProfile", {"type": UNKNOWN}, "unknown"),
    ("k8s-apparmor-profile", "spec.template.metadata.annotations", {APPARMOR_KEY: UNKNOWN}, "unknown"),
    ("k8s-restricted-volume-types", f"{T}.volumes.1", {"name": "data", "nfs": {"server": "n", "path": "/"}}, "fail"),
    ("k8s-restricted-volume-types", f"{T}.volumes", UNKNOWN, "unknown"),
    ("k8s-secrets-as-files", f"{TC}.env.0", {"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}, "fail"),
    ("k8s-secrets-as-files", f"{TC}.env.0", {"name": "P", "valueFrom": {"secretKeyRef": UNKNOWN}}, "fail"),
    ("k8s-secrets-as-files", f"{TC}.env", UNKNOWN, "unknown"),
]


@pytest.mark.parametrize("rule,path,value,expected", PACK_CASES)
def test_new_rule_through_the_pack(rule, path, value, expected):
    assert_outcome(run(resource(DEPLOYMENT, "web", changed(DEPLOY, path, value))), rule, expected)


def test_the_good_deployment_passes_the_new_rules_through_the_pack():
    evaluation = run(resource(DEPLOYMENT, "web", DEPLOY))
    for rule in {case[0] for case in PACK_CASES}:
        assert_outcome(evaluation, rule, "pass")


@pytest.mark.parametrize("rule,path,value,names", [
    ("k8s-capabilities-baseline", f"{TC}.securityContext.capabilities.add", "SYS_ADMIN", "capabilities.add is a string"),
    ("k8s-no-host-process", f"{T}.securityContext.windowsOptions", {"hostProcess": "true"}, "hostProcess is a string"),
    ("k8s-proc-mount-default", f"{TC}.securityContext.procMount", 1, "procMount is 1, not a string"),
    ("k8s-safe-sysctls", f"{T}.securityContext.sysctls", {"name": "kernel.sem"}, "sysctls is an object, not a list"),
    ("k8s-selinux-options", f"{TC}.securityContext.seLinuxOptions", "spc_t", "seLinuxOptions is a string"),
    ("k8s-apparmor-profile", "spec.template.metadata.annotations", {APPARMOR_KEY: 5}, "is 5, not a string"),
    ("k8s-restricted-volume-types", f"{T}.volumes", [["nfs"]], "volumes[0] is a list, not an object"),
    ("k8s-secrets-as-files", f"{TC}.envFrom", {"secretRef": {"name": "s"}}, "envFrom is an object, not a list"),
])
def test_a_field_of_the_wrong_type_cannot_be_judged(rule, path, value, names):
    assert_cannot_judge(run(resource(DEPLOYMENT, "web", changed(DEPLOY, path, value))), rule, names)


# --- Whatever the new fields hold, the rules judge them or say they cannot, and never crash ----------

# Where the new rules read, in the pod and in a PersistentVolume.
NEW_FIELDS = [
    "metadata.annotations", "spec.securityContext.windowsOptions",
    "spec.securityContext.sysctls", "spec.securityContext.sysctls.0", "spec.securityContext.seLinuxOptions",
    "spec.securityContext.appArmorProfile", f"{C}.securityContext.procMount", f"{C}.securityContext.appArmorProfile",
    f"{C}.securityContext.seLinuxOptions.type", f"{C}.securityContext.capabilities.add", f"{C}.envFrom",
    f"{C}.envFrom.0.secretRef", f"{C}.env.0.valueFrom", "spec.volumes.0", "spec.volumes.1.secret",
]
# The good pod with every field NEW_FIELDS reaches into present.
BUSY_POD = GOOD_POD
for busy_path, busy_value in ((f"{C}.securityContext.seLinuxOptions", {"type": "container_t"}),
                              ("spec.securityContext.sysctls", [{"name": "kernel.shm_rmid_forced", "value": "1"}]),
                              (f"{C}.envFrom", [{"secretRef": {"name": "s"}}])):
    BUSY_POD = changed(BUSY_POD, busy_path, busy_value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["Pod", "Deployment", "CronJob"]), path=st.sampled_from(NEW_FIELDS), value=JSON_VALUES,
       annotation=JSON_VALUES)
def test_no_new_rule_crashes_on_any_value(kind, path, value, annotation):
    pod = changed(changed(BUSY_POD, "metadata.annotations", {APPARMOR_KEY: annotation}), path, value)
    evaluation = run(resource(KINDS[kind], "subject", manifest(kind, pod)),
                     resource(PERSISTENT_VOLUME, "data", changed(PV, "spec.hostPath", value)))
    for error in evaluation.errors:
        assert "cannot judge: " in error.message and " failed (" not in error.message, error
