"""Service accounts: workloads of every kind run as their own account, bindings never grant to a
default one, accounts do not automount tokens, and no long-lived token Secret exists."""
import json

import pytest

from policies.pods import WORKLOADS
from policy_plans import UNKNOWN, assert_outcome, messages, resource, run
from test_wrong_types import assert_cannot_judge

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
BINDINGS = (f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding")
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
DEFAULT_SA = "k8s-no-default-service-account"
DEFAULT_SA_BINDING = "k8s-no-default-service-account-binding"
POD = {"serviceAccountName": "backend", "automountServiceAccountToken": False,
       "containers": [{"name": "backend", "image": "registry.example/backend:1.0"}]}


def workload(type_token: str, pod: dict) -> dict:
    """A workload of the kind `type_token` with `pod` where that kind holds its pod spec."""
    document: dict = {"metadata": {"name": "backend", "namespace": "app"}}
    node = document
    for step in WORKLOADS[type_token][1][:-1]:
        node = node.setdefault(step, {})
    node[WORKLOADS[type_token][1][-1]] = pod
    return json.loads(json.dumps(document))


def without(pod: dict, key: str) -> dict:
    return {k: v for k, v in pod.items() if k != key}


@pytest.mark.parametrize("type_token", sorted(WORKLOADS))
@pytest.mark.parametrize("pod,expected", [
    (POD, "pass"),
    ({**without(POD, "serviceAccountName"), "serviceAccount": "backend"}, "pass"),  # the deprecated spelling
    (without(POD, "serviceAccountName"), "fail"),
    ({**POD, "serviceAccountName": "default"}, "fail"),
    ({**POD, "serviceAccountName": ""}, "fail"),
    ({**POD, "serviceAccountName": UNKNOWN}, "unknown"),
])
def test_every_workload_kind_runs_as_its_own_service_account(type_token, pod, expected):
    assert_outcome(run(resource(type_token, "backend", workload(type_token, pod))), DEFAULT_SA, expected)


def test_the_message_says_where_the_pod_spec_names_no_account():
    cronjob = "kubernetes:batch/v1:CronJob"
    found = messages(run(resource(cronjob, "backup", workload(cronjob, without(POD, "serviceAccountName")))), DEFAULT_SA)
    assert found[0].endswith("spec.jobTemplate.spec.template.spec names no service account, so its pods run as the "
                             "namespace's default one")


@pytest.mark.parametrize("subject,expected", [
    ({"kind": "ServiceAccount", "name": "backend", "namespace": "app"}, "pass"),
    ({"kind": "Group", "name": "devs"}, "pass"),
    ({"kind": "User", "name": "system:serviceaccount:app:backend"}, "pass"),
    ({"kind": "ServiceAccount", "name": "default", "namespace": "app"}, "fail"),
    ({"kind": "ServiceAccount", "name": "default"}, "fail"),  # a RoleBinding's own namespace
    ({"kind": "User", "name": "system:serviceaccount:app:default"}, "fail"),
    ({"kind": "Group", "name": "system:serviceaccounts"}, "fail"),
    ({"kind": "Group", "name": "system:serviceaccounts:app"}, "fail"),
    ({"kind": "ServiceAccount", "name": UNKNOWN, "namespace": "app"}, "unknown"),
])
@pytest.mark.parametrize("kind", BINDINGS)
def test_no_binding_grants_a_role_to_a_default_service_account(subject, expected, kind):
    binding = {"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [subject]}
    assert_outcome(run(resource(kind, "b", binding)), DEFAULT_SA_BINDING, expected)


@pytest.mark.parametrize("account,expected", [
    ({"automountServiceAccountToken": False}, "pass"),
    ({}, "fail"),  # Kubernetes mounts the token unless told not to
    ({"automountServiceAccountToken": True}, "fail"),
    ({"automountServiceAccountToken": UNKNOWN}, "unknown"),
])
def test_service_accounts_do_not_automount_their_token(account, expected):
    document = {"metadata": {"name": "backend", "namespace": "app"}, **account}
    assert_outcome(run(resource(SERVICE_ACCOUNT, "backend", document)), "k8s-service-account-no-automount", expected)


@pytest.mark.parametrize("secret_type,expected", [
    ("Opaque", "pass"),
    ("kubernetes.io/tls", "pass"),
    (None, "pass"),  # Opaque by default
    ("kubernetes.io/service-account-token", "fail"),
    (UNKNOWN, "unknown"),
])
def test_no_long_lived_service_account_token_secret(secret_type, expected):
    document = {"metadata": {"name": "token", "namespace": "app"}, **({"type": secret_type} if secret_type else {})}
    assert_outcome(run(resource(SECRET, "token", document)), "k8s-no-service-account-token-secret", expected)


@pytest.mark.parametrize("rule,type_token,document,names", [
    (DEFAULT_SA, "kubernetes:core/v1:Pod", {"spec": {**POD, "serviceAccountName": 7}}, "spec.serviceAccountName is 7"),
    (DEFAULT_SA_BINDING, BINDINGS[0], {"subjects": [{"kind": ["ServiceAccount"], "name": "default"}]},
     "subjects[0].kind is a list, not a string"),
    ("k8s-service-account-no-automount", SERVICE_ACCOUNT, {"automountServiceAccountToken": "false"},
     "automountServiceAccountToken is a string, not a boolean"),
    ("k8s-no-service-account-token-secret", SECRET, {"type": {"name": "Opaque"}}, "type is an object, not a string"),
])
def test_a_field_of_the_wrong_type_cannot_be_judged(rule, type_token, document, names):
    assert_cannot_judge(run(resource(type_token, "subject", document)), rule, names)
