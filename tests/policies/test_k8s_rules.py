"""Kubernetes rules: workload controls of the catalogue, namespaces, NetworkPolicies, Services, RBAC, installs."""
import pytest

from policy_plans import DELETE, UNKNOWN, assert_outcome, changed, resource, run

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRONJOB = "kubernetes:batch/v1:CronJob"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
CR = "kubernetes:apiextensions.k8s.io:CustomResource"
RELEASE = "kubernetes:helm.sh/v3:Release"

# The prod pack config allows this account's registry and requires digests under devsecops-prod/.
IMAGE = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/devsecops-prod/backend@sha256:" + "a" * 64
CONTAINER = {
    "name": "backend",
    "image": IMAGE,
    "ports": [{"containerPort": 5000}],
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 5000}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 5000}},
    "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
}
POD = {"automountServiceAccountToken": False, "serviceAccountName": "backend",
       "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
       "containers": [CONTAINER]}
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "backend", "namespace": "app"},
          "spec": {"selector": {"matchLabels": {"app": "backend"}},
                   "template": {"metadata": {"labels": {"app": "backend"}}, "spec": POD}}}
C = "spec.template.spec.containers.0"
P = "spec.template.spec"

WORKLOAD_CASES = [
    ("k8s-no-latest-image", f"{C}.image", "222222222222.dkr.ecr.eu-west-1.amazonaws.com/devsecops-prod/backend:latest", "fail"),
    ("k8s-no-latest-image", f"{C}.image", "222222222222.dkr.ecr.eu-west-1.amazonaws.com/devsecops-prod/backend", "fail"),
    ("k8s-no-latest-image", f"{C}.image", UNKNOWN, "unknown"),
    ("k8s-image-registry-allowed", f"{C}.image", "docker.io/library/postgres:16.4", "fail"),
    ("k8s-image-registry-allowed", f"{C}.image", "postgres:16.4", "fail"),
    ("k8s-image-registry-allowed", f"{C}.image", UNKNOWN, "unknown"),
    ("k8s-image-digest-pinned", f"{C}.image", "222222222222.dkr.ecr.eu-west-1.amazonaws.com/devsecops-prod/backend:1.2.3", "fail"),
    ("k8s-image-digest-pinned", f"{C}.image", UNKNOWN, "unknown"),
    ("k8s-resources-required", f"{C}.resources.limits", DELETE, "fail"),
    ("k8s-resources-required", f"{C}.resources.limits.memory", UNKNOWN, "pass"),
    ("k8s-run-as-non-root", f"{C}.securityContext.runAsNonRoot", False, "fail"),
    ("k8s-run-as-non-root", f"{C}.securityContext.runAsUser", 0, "fail"),
    ("k8s-run-as-non-root", f"{C}.securityContext.runAsUser", UNKNOWN, "unknown"),
    ("k8s-no-privilege-escalation", f"{C}.securityContext.allowPrivilegeEscalation", DELETE, "fail"),
    ("k8s-no-privilege-escalation", f"{C}.securityContext.allowPrivilegeEscalation", UNKNOWN, "unknown"),
    ("k8s-read-only-root-fs", f"{C}.securityContext.readOnlyRootFilesystem", False, "fail"),
    ("k8s-read-only-root-fs", f"{C}.securityContext.readOnlyRootFilesystem", UNKNOWN, "unknown"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.drop", ["NET_RAW"], "fail"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities.add", ["SYS_ADMIN"], "fail"),
    ("k8s-drop-all-capabilities", f"{C}.securityContext.capabilities", UNKNOWN, "unknown"),
    ("k8s-seccomp-profile", f"{P}.securityContext.seccompProfile.type", "Unconfined", "fail"),
    ("k8s-seccomp-profile", f"{P}.securityContext.seccompProfile", DELETE, "fail"),
    ("k8s-seccomp-profile", f"{P}.securityContext.seccompProfile.type", UNKNOWN, "unknown"),
    ("k8s-no-privileged", f"{C}.securityContext.privileged", True, "fail"),
    ("k8s-no-privileged", f"{C}.securityContext.privileged", UNKNOWN, "unknown"),
    ("k8s-no-host-namespaces", f"{P}.hostNetwork", True, "fail"),
    ("k8s-no-host-namespaces", f"{P}.hostPID", UNKNOWN, "unknown"),
    ("k8s-no-host-path", f"{P}.volumes", [{"name": "docker", "hostPath": {"path": "/var/run"}}], "fail"),
    ("k8s-no-host-path", f"{P}.volumes", [{"name": "tmp", "emptyDir": {}}], "pass"),
    ("k8s-no-host-path", f"{P}.volumes", UNKNOWN, "unknown"),
    ("k8s-no-host-ports", f"{C}.ports.0.hostPort", 5000, "fail"),
    ("k8s-no-host-ports", f"{C}.ports.0.hostPort", UNKNOWN, "unknown"),
    ("k8s-probes-required", f"{C}.livenessProbe", DELETE, "fail"),
    ("k8s-probes-required", f"{C}.readinessProbe", UNKNOWN, "pass"),
    ("k8s-no-default-namespace", "metadata.namespace", "default", "fail"),
    ("k8s-no-default-namespace", "metadata.namespace", DELETE, "fail"),
    ("k8s-no-default-namespace", "metadata.namespace", UNKNOWN, "unknown"),  # cannot be proved not default
    ("k8s-no-sa-token-automount", f"{P}.automountServiceAccountToken", DELETE, "fail"),
    ("k8s-no-sa-token-automount", f"{P}.automountServiceAccountToken", UNKNOWN, "unknown"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD", "value": "hunter2"}, "fail"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD", "value": UNKNOWN}, "fail"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "LOG_LEVEL", "value": "info"}, "pass"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASS", "value": "hunter2"}, "fail"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "GPG_PASSPHRASE", "value": "hunter2"}, "fail"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "GITHUB_TOKEN", "value": "ghp_x"}, "fail"),
    # NAME_FILE=/path names a mounted secret file; anything else under such a name is still a literal.
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db/p"}, "pass"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD_FILE", "value": "hunter2"}, "fail"),
    ("k8s-no-plaintext-secret-env", f"{C}.env.0", {"name": "DB_PASSWORD_FILE", "value": UNKNOWN}, "fail"),
]


def test_the_good_deployment_passes_every_workload_rule():
    evaluation = run(resource(DEPLOYMENT, "backend", DEPLOY))
    for control in {case[0] for case in WORKLOAD_CASES}:
        assert_outcome(evaluation, control, "pass")


@pytest.mark.parametrize("rule,path,value,expected", WORKLOAD_CASES)
def test_workload_rule(rule, path, value, expected):
    assert_outcome(run(resource(DEPLOYMENT, "backend", changed(DEPLOY, path, value))), rule, expected)


def test_cronjob_pod_template_is_found_and_batch_pods_need_no_probes():
    job_pod = changed(POD, "containers.0.livenessProbe", DELETE)
    job_pod = changed(job_pod, "containers.0.securityContext.privileged", True)
    cron = {"metadata": {"namespace": "app"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": job_pod}}}}}
    evaluation = run(resource(CRONJOB, "backup", cron))
    assert_outcome(evaluation, "k8s-no-privileged", "fail")
    assert_outcome(evaluation, "k8s-probes-required", "pass")


@pytest.mark.parametrize("labels,expected", [
    ({"pod-security.kubernetes.io/enforce": "restricted"}, "pass"),
    ({"pod-security.kubernetes.io/enforce": "baseline"}, "fail"),
    ({}, "fail"),
    (UNKNOWN, "unknown"),
])
def test_namespace_psa(labels, expected):
    ns = resource(NAMESPACE, "app", {"metadata": {"name": "app", "labels": labels}})
    assert_outcome(run(ns), "k8s-namespace-psa-restricted", expected)


DENY_ALL = {"metadata": {"name": "default-deny", "namespace": "app"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
ALLOW_BACKEND = {"metadata": {"name": "backend", "namespace": "app"},
                 "spec": {"podSelector": {"matchLabels": {"app": "backend"}}, "policyTypes": ["Ingress"],
                          "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}],
                                       "ports": [{"port": 5000}]}]}}


@pytest.mark.parametrize("policies,expected", [
    ([DENY_ALL], "pass"),
    ([changed(DENY_ALL, "spec.policyTypes", ["Ingress"])], "fail"),
    ([changed(DENY_ALL, "metadata.namespace", "other")], "fail"),
    ([], "fail"),
    ([changed(DENY_ALL, "spec.podSelector", UNKNOWN)], "unknown"),
])
def test_default_deny_per_namespace(policies, expected):
    resources = [resource(DEPLOYMENT, "backend", DEPLOY)] + [
        resource(NETWORK_POLICY, f"np{i}", p) for i, p in enumerate(policies)]
    assert_outcome(run(*resources), "k8s-default-deny-network-policy", expected)


@pytest.mark.parametrize("policy,expected", [
    (ALLOW_BACKEND, "pass"),
    (changed(ALLOW_BACKEND, "spec.podSelector.matchLabels.app", "frontend"), "fail"),
    (changed(ALLOW_BACKEND, "spec.podSelector", {"matchExpressions": [{"key": "app", "operator": "In", "values": ["backend"]}]}), "pass"),
    (DENY_ALL, "fail"),
    (changed(ALLOW_BACKEND, "spec.podSelector.matchLabels", UNKNOWN), "unknown"),
])
def test_workload_selected_by_a_network_policy(policy, expected):
    resources = [resource(DEPLOYMENT, "backend", DEPLOY), resource(NETWORK_POLICY, "np", policy)]
    assert_outcome(run(*resources), "k8s-workload-network-policy", expected)


def test_namespace_computed_from_a_namespace_resource_matches_its_policies():
    ns = resource(NAMESPACE, "app", {"metadata": {"name": "app"}})
    deploy = resource(DEPLOYMENT, "backend", changed(DEPLOY, "metadata.namespace", UNKNOWN), deps={"metadata": [ns]})
    deny = resource(NETWORK_POLICY, "deny", changed(DENY_ALL, "metadata.namespace", UNKNOWN), deps={"metadata": [ns]})
    assert_outcome(run(ns, deploy, deny), "k8s-default-deny-network-policy", "pass")


@pytest.mark.parametrize("service_type,expected", [("ClusterIP", "pass"), ("LoadBalancer", "fail"), ("NodePort", "fail"),
                                                   (UNKNOWN, "unknown")])
def test_service_type(service_type, expected):
    svc = {"metadata": {"name": "frontend", "namespace": "app"}, "spec": {"type": service_type}}
    assert_outcome(run(resource(SERVICE, "frontend", svc)), "k8s-service-type-restricted", expected)


def test_service_exemption_comes_from_config():
    svc = {"metadata": {"name": "frontend", "namespace": "app"}, "spec": {"type": "LoadBalancer"}}
    config = {"k8s-service-type-restricted": {"exemptServices": ["app/frontend"]}}
    assert_outcome(run(resource(SERVICE, "frontend", svc), config=config), "k8s-service-type-restricted", "pass")


ROLE_RULES = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]


@pytest.mark.parametrize("rule,rules,expected", [
    ("k8s-rbac-no-wildcards", ROLE_RULES, "pass"),
    ("k8s-rbac-no-wildcards", [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}], "fail"),
    ("k8s-rbac-no-wildcards", [{"apiGroups": [""], "resources": ["pods"], "verbs": UNKNOWN}], "unknown"),
    ("k8s-rbac-no-escalation-verbs", ROLE_RULES, "pass"),
    ("k8s-rbac-no-escalation-verbs", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"],
                                       "verbs": ["bind", "escalate"]}], "fail"),
    ("k8s-rbac-no-escalation-verbs", UNKNOWN, "unknown"),
])
def test_roles(rule, rules, expected):
    assert_outcome(run(resource(f"{RBAC}:ClusterRole", "reader", {"rules": rules})), rule, expected)


@pytest.mark.parametrize("binding,expected", [
    ({"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "Group", "name": "devs"}]}, "pass"),
    ({"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": []}, "fail"),
    ({"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "Group", "name": "system:masters"}]}, "fail"),
    ({"roleRef": UNKNOWN}, "unknown"),
])
def test_cluster_admin_bindings(binding, expected):
    assert_outcome(run(resource(f"{RBAC}:ClusterRoleBinding", "b", binding)), "k8s-rbac-no-cluster-admin-binding", expected)


def app(project):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "app", "namespace": "argocd"},
            "spec": {"project": project}}


@pytest.mark.parametrize("project,expected", [("platform", "pass"), ("default", "fail"), (None, "fail"), (UNKNOWN, "unknown")])
def test_argocd_application_project(project, expected):
    assert_outcome(run(resource(CR, "app", app(project))), "argocd-no-default-project", expected)


PROJECT = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "platform"},
           "spec": {"sourceRepos": ["https://github.com/example/platform-gitops"],
                    "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "app"}],
                    "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}]}}


@pytest.mark.parametrize("path,value,expected", [
    (None, None, "pass"),
    ("spec.sourceRepos", ["*"], "fail"),
    ("spec.destinations.0.namespace", "*", "fail"),
    ("spec.clusterResourceWhitelist.0", {"group": "*", "kind": "*"}, "fail"),
    ("spec.sourceRepos", UNKNOWN, "unknown"),
])
def test_argocd_appproject(path, value, expected):
    body = changed(PROJECT, path, value) if path else PROJECT
    assert_outcome(run(resource(CR, "project", body)), "argocd-appproject-restricted", expected)


@pytest.mark.parametrize("version,expected", [("3.3.4", "pass"), ("v1.2.0", "pass"), ("^3.0.0", "fail"), ("3.x", "fail"),
                                              (None, "fail"), (UNKNOWN, "unknown")])
def test_helm_chart_pinned(version, expected):
    inputs = {"chart": "kyverno", "repositoryOpts": {"repo": "https://kyverno.github.io/kyverno/"}}
    if version is not None:
        inputs["version"] = version
    assert_outcome(run(resource(RELEASE, "kyverno", inputs)), "helm-chart-version-pinned", expected)
