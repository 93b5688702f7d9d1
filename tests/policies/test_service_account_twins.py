"""Service account controls judged by both twins on the same manifests: the CrossGuard rule at preview
and its generated Kyverno policy at admission (through `kyverno_engine`). Workloads run as their own
account on a Pod, every pod controller and a CronJob; ServiceAccounts do not automount their token.
"""
from __future__ import annotations

import pytest

from kyverno_engine import applies, failed_rules
from policies.pods import SERVICE_ACCOUNT
from policies.workload_catalog import KyvernoParams, control
from policy_plans import changed
from test_pod_security_controls import ADMITTED_KINDS, GOOD_POD, KINDS, POLICIES, crossguard_messages, manifest

OWN_ACCOUNT = "k8s-no-default-service-account"
AUTOMOUNT = "k8s-service-account-no-automount"

# (serviceAccountName, deprecated serviceAccount, expected); None leaves the field out.
ACCOUNT_CASES = [
    ("web", None, "pass"),
    (None, "web", "pass"),  # the deprecated spelling alone
    ("", "web", "pass"),  # the API server reads the deprecated spelling where the name is empty
    ("default", None, "fail"),
    (None, None, "fail"),  # the namespace's default account
    ("", None, "fail"),
    (None, "default", "fail"),
]


def pod_running_as(name: str | None, deprecated: str | None = None) -> dict:
    spec = {k: v for k, v in GOOD_POD["spec"].items() if k != "serviceAccountName"}
    named = {"serviceAccountName": name, "serviceAccount": deprecated}
    return {**GOOD_POD, "spec": {**spec, **{k: v for k, v in named.items() if v is not None}}}


def account_id(case) -> str:
    name, deprecated, expected = case
    return f"name={name!r}:deprecated={deprecated!r}:{expected}"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("case", ACCOUNT_CASES, ids=account_id)
def test_crossguard_twin_of_own_service_account(case, kind):
    name, deprecated, expected = case
    found = crossguard_messages(OWN_ACCOUNT, kind, pod_running_as(name, deprecated))
    assert bool(found) == (expected == "fail"), found


@pytest.mark.parametrize("kind", ADMITTED_KINDS)
@pytest.mark.parametrize("case", ACCOUNT_CASES, ids=account_id)
def test_kyverno_twin_of_own_service_account(case, kind):
    name, deprecated, expected = case
    subject = manifest(kind, pod_running_as(name, deprecated))
    assert applies(POLICIES[OWN_ACCOUNT], subject)
    refused = failed_rules(POLICIES[OWN_ACCOUNT], subject)
    assert bool(refused) == (expected == "fail"), refused


def test_kyverno_never_refuses_to_delete_a_pod_of_the_default_account():
    subject = manifest("Pod", pod_running_as("default"))
    assert failed_rules(POLICIES[OWN_ACCOUNT], subject, operation="DELETE") == []


@pytest.mark.parametrize("namespace", KyvernoParams().excluded_namespaces)
def test_kyverno_leaves_the_excluded_namespaces_alone(namespace):
    pod = changed(manifest("Pod", pod_running_as("default")), "metadata.namespace", namespace)
    account = service_account("controller", namespace)
    assert not applies(POLICIES[OWN_ACCOUNT], pod)
    assert not applies(POLICIES[AUTOMOUNT], account)


# --- ServiceAccount automount ------------------------------------------------------------------------

def service_account(name: str, namespace: str = "app", **fields) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}, **fields}


@pytest.mark.parametrize("account,expected", [
    (service_account("web", automountServiceAccountToken=False), "pass"),
    (service_account("web"), "fail"),  # Kubernetes mounts the token unless told not to
    (service_account("web", automountServiceAccountToken=True), "fail"),
])
def test_service_account_automount_twins(account, expected):
    assert bool(list(control(AUTOMOUNT).check(SERVICE_ACCOUNT, account, {}))) == (expected == "fail")
    assert applies(POLICIES[AUTOMOUNT], account)
    assert bool(failed_rules(POLICIES[AUTOMOUNT], account)) == (expected == "fail")


def test_kyverno_skips_the_default_accounts_kubernetes_creates_in_every_namespace():
    # The program neither declares nor patches them, and no pod runs as one (the own-account control).
    # A `default` account the program did declare is still judged at preview, where the program sets it.
    account = service_account("default")
    assert not applies(POLICIES[AUTOMOUNT], account)
    assert list(control(AUTOMOUNT).check(SERVICE_ACCOUNT, account, {}))
