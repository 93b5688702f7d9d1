"""Property: whatever a Kubernetes object holds, the pack judges it or says it cannot, and never crashes.

Real objects (the good workload, NetworkPolicies, RBAC, Services, Kyverno and ArgoCD resources) are
mutated at random places into random JSON-like values, then the whole pack evaluates them through
the SDK's path. No exception may escape, and every "cannot judge" must come from a rule reading a
value of the wrong type (a message naming the field), not from the safety net catching a rule that
crashed: the net is for what nobody foresaw, not for what these inputs show.
"""
from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from policy_plans import UNKNOWN, changed, resource, run
from test_k8s_rules import ALLOW_BACKEND, CONTAINER, CR, DENY_ALL, DEPLOY, DEPLOYMENT, NETWORK_POLICY, POD, PROJECT, \
    RBAC, RELEASE, SERVICE, app
from test_kyverno_twins import installed

# The good workload with every field a workload rule reads present, so each one can be mutated.
FULL_CONTAINER = changed(changed(CONTAINER, "ports.0.hostPort", 0), "securityContext.capabilities.add", ["NET_BIND_SERVICE"])
FULL_POD = {**POD, "hostNetwork": False, "hostPID": False, "hostIPC": False,
            "securityContext": {**POD["securityContext"], "runAsUser": 10001},
            "volumes": [{"name": "tmp", "emptyDir": {}}],
            "containers": [{**FULL_CONTAINER, "env": [{"name": "LOG_LEVEL", "value": "info"}]}],
            "initContainers": [{**FULL_CONTAINER, "name": "migrate"}]}
FULL_DEPLOY = changed(DEPLOY, "spec.template.spec", FULL_POD)

OPEN_POLICY = {"metadata": {"name": "edge", "namespace": "app"},
               "spec": {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
                        "policyTypes": ["Ingress"],
                        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}]}]}}
ROLE = {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
AGGREGATED_ROLE = {"metadata": {"name": "reader", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
                   "rules": [{"apiGroups": [""], "resources": ["secrets", "pods/exec"], "resourceNames": ["app"],
                              "verbs": ["get", "create"]}]}
BINDING = {"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "Group", "name": "devs"}]}
SA_BINDING = {"roleRef": {"kind": "Role", "name": "reader"},
              "subjects": [{"kind": "ServiceAccount", "name": "backend", "namespace": "app"}]}
INGRESS = {"metadata": {"name": "web", "namespace": "app"},
           "spec": {"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                    "rules": [{"host": "shop.example.com", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix",
                         "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}
NAMESPACE_DOC = {"metadata": {"name": "app", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}
CRONJOB = {"metadata": {"namespace": "app"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": POD}}}}}
KYVERNO_POLICY = installed()[1]  # a generated ClusterPolicy, as the admission component registers it

# (type, document) for every Kubernetes resource rule of the pack and the stack rules over them.
DOCUMENTS = [
    (DEPLOYMENT, FULL_DEPLOY),
    ("kubernetes:core/v1:Pod", {"metadata": {"name": "p", "namespace": "app"}, "spec": FULL_POD}),
    ("kubernetes:batch/v1:CronJob", CRONJOB),
    ("kubernetes:core/v1:Namespace", NAMESPACE_DOC),
    (NETWORK_POLICY, ALLOW_BACKEND),
    (NETWORK_POLICY, DENY_ALL),
    (NETWORK_POLICY, OPEN_POLICY),
    (SERVICE, {"metadata": {"name": "web", "namespace": "app"}, "spec": {"type": "ClusterIP", "externalIPs": []}}),
    (f"{RBAC}:ClusterRole", ROLE),
    (f"{RBAC}:ClusterRoleBinding", BINDING),
    (f"{RBAC}:Role", AGGREGATED_ROLE),
    (f"{RBAC}:ClusterRole", AGGREGATED_ROLE),
    (f"{RBAC}:RoleBinding", SA_BINDING),
    ("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "backend", "namespace": "app"},
                                           "automountServiceAccountToken": False}),
    ("kubernetes:core/v1:Secret", {"metadata": {"name": "tls", "namespace": "app"}, "type": "kubernetes.io/tls"}),
    ("kubernetes:networking.k8s.io/v1:Ingress", INGRESS),
    ("kubernetes:policy/v1beta1:PodDisruptionBudget", {"metadata": {"name": "web"}, "spec": {"maxUnavailable": 1}}),
    (CR, KYVERNO_POLICY.inputs),
    (CR, app("platform")),
    (CR, PROJECT),
    (RELEASE, {"chart": "kyverno", "version": "3.3.4"}),
]

# Values a manifest could hold anywhere: every JSON type, the strings the rules look for, the unknown.
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 53), max_value=2 ** 53)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(["ALL", "*", "0.0.0.0/0", "::/0", "default", "true", "In", "Ingress", "restricted",
                              "DB_PASS", "RuntimeDefault", "system:anonymous", "system:serviceaccounts", "secrets",
                              "pods/exec", "kubernetes.io/service-account-token", "*.example.com", UNKNOWN]))
# Field names the rules read, so a mutation can also add a field where it was absent.
KEYS = st.text(max_size=8) | st.sampled_from([
    "name", "namespace", "labels", "image", "containers", "ephemeralContainers", "securityContext", "privileged",
    "runAsNonRoot", "runAsUser", "capabilities", "drop", "add", "seccompProfile", "type", "hostPort", "hostPath",
    "volumes", "env", "value", "ipBlock", "cidr", "from", "ingress", "podSelector", "matchLabels",
    "matchExpressions", "operator", "values", "policyTypes", "rules", "verbs", "resources", "subjects", "roleRef",
    "externalIPs", "project", "sourceRepos", "destinations", "failureAction", "verifyImages", "version",
    "apiGroups", "resourceNames", "kind", "serviceAccountName", "serviceAccount", "automountServiceAccountToken",
    "host", "hosts", "tls", "defaultBackend",
])
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                           max_leaves=12)


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path inside a JSON document (the root excluded), and for every object a path to a new
    field in it (its last step None: the key is drawn later)."""
    found = [path] if path else []
    if isinstance(node, dict):
        found.append(path + (None,))
        for key, value in node.items():
            found += _places(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, path + (index,))
    return found


def _replaced(document: dict, path: tuple, value: Any) -> dict:
    copy = json.loads(json.dumps(document))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


@st.composite
def mutated(draw) -> tuple[str, dict]:
    type_token, document = draw(st.sampled_from(DOCUMENTS))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_places(document)))
        if path[-1] is None:
            path = path[:-1] + (draw(KEYS),)
        document = _replaced(document, path, draw(JSON_VALUES))
    return type_token, document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_no_exception_escapes_and_every_cannot_judge_names_the_field(subject):
    type_token, document = subject
    # With the good workload and its policies beside it, so the stack rules relate the mutated object to others.
    evaluation = run(resource(type_token, "subject", document), resource(DEPLOYMENT, "backend", DEPLOY),
                     resource(NETWORK_POLICY, "deny", DENY_ALL), resource(NETWORK_POLICY, "allow", ALLOW_BACKEND))
    for error in evaluation.errors:
        assert "cannot judge: " in error.message and " failed (" not in error.message, error
    for message in [v.message for v in evaluation.violations] + [e.message for e in evaluation.errors]:
        # A message shows what it read, never an object's repr (a memory address, which also differs by path).
        assert " object at 0x" not in message, message
