"""RBAC abuse paths: each rule judges apiGroups, resources, resourceNames and verbs together, as the
API server's authorizer does, on Roles and ClusterRoles; bindings to everyone fail on both kinds."""
import pytest

from policies.rule import CANNOT_JUDGE
from policy_plans import UNKNOWN, assert_outcome, messages, resource, run

RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
ROLE, CLUSTER_ROLE = f"{RBAC}:Role", f"{RBAC}:ClusterRole"
ROLE_BINDING, CLUSTER_ROLE_BINDING = f"{RBAC}:RoleBinding", f"{RBAC}:ClusterRoleBinding"
ADMISSION = "admissionregistration.k8s.io"
CERTIFICATES = "certificates.k8s.io"


def grant(groups, resources, verbs, names=None) -> dict:
    rule = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names is not None:
        rule["resourceNames"] = names
    return rule


def role(*rules: dict, kind: str = ROLE, labels: dict | None = None):
    metadata = {"name": "r", "namespace": "app", **({"labels": labels} if labels else {})}
    return resource(kind, "r", {"metadata": metadata, "rules": list(rules)})


# A role an app would really hold: reads its config, watches its pods, nothing else.
READER = [grant([""], ["configmaps"], ["get", "list", "watch"]), grant([""], ["pods", "pods/log"], ["get", "list"])]

ABUSE_CASES = [
    # rule, the role rule that abuses, the closest role rule that does not
    ("k8s-rbac-no-pod-exec", grant([""], ["pods/exec"], ["create"]), grant([""], ["pods/exec"], ["get"])),
    ("k8s-rbac-no-pod-exec", grant([""], ["pods/attach"], ["*"]), grant([""], ["pods/attach"], ["get", "list"])),
    ("k8s-rbac-no-pod-exec", grant(["*"], ["pods/portforward"], ["create"]), grant(["apps"], ["pods/portforward"], ["create"])),
    ("k8s-rbac-no-pod-exec", grant([""], ["*/exec"], ["create"]), grant([""], ["pods/*"], ["create"])),  # RBAC has no 'pods/*'
    ("k8s-rbac-no-pod-exec", grant([""], ["pods/exec"], ["create"], names=["web-0"]), grant([""], ["pods"], ["create"])),
    ("k8s-rbac-no-node-proxy", grant([""], ["nodes/proxy"], ["get"]), grant([""], ["nodes", "nodes/metrics"], ["get"])),
    ("k8s-rbac-no-node-proxy", grant(["*"], ["*"], ["create"]), grant(["metrics.k8s.io"], ["*"], ["*"])),
    ("k8s-rbac-no-csr-approval", grant([CERTIFICATES], ["certificatesigningrequests/approval"], ["update"]),
     grant([CERTIFICATES], ["certificatesigningrequests"], ["get", "list", "create"])),
    ("k8s-rbac-no-csr-approval", grant([CERTIFICATES], ["signers"], ["approve"], names=["kubernetes.io/kube-apiserver-client"]),
     grant([CERTIFICATES], ["signers"], ["sign"], names=["example.com/issuer"])),
    ("k8s-rbac-no-webhook-config-write", grant([ADMISSION], ["validatingwebhookconfigurations"], ["patch"]),
     grant([ADMISSION], ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], ["get", "list", "watch"])),
    ("k8s-rbac-no-webhook-config-write", grant([ADMISSION], ["mutatingwebhookconfigurations"], ["delete"], names=["kyverno"]),
     # a named rule cannot create: the new object has no name to match yet
     grant([ADMISSION], ["mutatingwebhookconfigurations"], ["create"], names=["kyverno"])),
    ("k8s-rbac-no-sa-token-create", grant([""], ["serviceaccounts/token"], ["create"]), grant([""], ["serviceaccounts"], ["get"])),
    ("k8s-rbac-no-service-status-write", grant([""], ["services/status"], ["patch"]), grant([""], ["services/status"], ["get"])),
    ("k8s-rbac-no-service-status-write", grant([""], ["*/status"], ["update"]), grant(["apps"], ["*/status"], ["update"])),
    ("k8s-rbac-no-cluster-secret-read", grant([""], ["secrets"], ["list"]), grant([""], ["secrets"], ["get"], names=["app-tls"])),
    ("k8s-rbac-no-cluster-secret-read", grant(["*"], ["*"], ["watch"]), grant(["apps"], ["*"], ["*"])),
]


@pytest.mark.parametrize("rule,abusing,harmless", ABUSE_CASES)
@pytest.mark.parametrize("kind", [ROLE, CLUSTER_ROLE])
def test_an_abuse_path_fails_and_its_closest_harmless_grant_passes(rule, abusing, harmless, kind):
    cluster_only = rule == "k8s-rbac-no-cluster-secret-read" and kind == ROLE
    assert_outcome(run(role(*READER, abusing, kind=kind)), rule, "pass" if cluster_only else "fail")
    assert_outcome(run(role(*READER, harmless, kind=kind)), rule, "pass")


@pytest.mark.parametrize("kind", [ROLE, CLUSTER_ROLE])
def test_a_role_an_app_really_holds_passes_every_rbac_rule(kind):
    evaluation = run(role(*READER, kind=kind))
    assert [v for v in evaluation.violations if "rbac" in v.policy] == []


def test_the_message_names_the_rule_the_verbs_and_the_names():
    found = messages(run(role(*READER, grant([""], ["pods/exec"], ["*"], names=["web-0"]))), "k8s-rbac-no-pod-exec")
    assert [m.splitlines()[-1] for m in found] == ["rules[2] grants create on pods/exec in the core group (named: web-0)"]


def test_a_cluster_role_aggregated_into_a_built_in_role_says_whom_it_reaches():
    aggregated = role(grant([""], ["secrets"], ["get"]), kind=CLUSTER_ROLE,
                      labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"})
    message, = messages(run(aggregated), "k8s-rbac-no-cluster-secret-read")
    assert "aggregated into the built-in view role(s)" in message


def test_an_aggregation_label_unknown_at_preview_does_not_hide_the_finding():
    aggregated = role(grant([""], ["secrets"], ["get"]), kind=CLUSTER_ROLE,
                      labels={"rbac.authorization.k8s.io/aggregate-to-view": UNKNOWN})
    assert_outcome(run(aggregated), "k8s-rbac-no-cluster-secret-read", "fail")


@pytest.mark.parametrize("role_name,kind,expected", [
    ("edit", CLUSTER_ROLE_BINDING, "fail"),
    ("admin", CLUSTER_ROLE_BINDING, "fail"),
    ("view", CLUSTER_ROLE_BINDING, "pass"),
    ("edit", ROLE_BINDING, "pass"),  # one namespace's secrets, not the cluster's
    (UNKNOWN, CLUSTER_ROLE_BINDING, "unknown"),
])
def test_binding_a_built_in_secret_reader_cluster_wide_fails(role_name, kind, expected):
    binding = {"roleRef": {"kind": "ClusterRole", "name": role_name}, "subjects": [{"kind": "Group", "name": "devs"}]}
    assert_outcome(run(resource(kind, "b", binding)), "k8s-rbac-no-cluster-secret-read", expected)


@pytest.mark.parametrize("rules,expected", [
    # '*' verbs outside rbac.authorization.k8s.io and the identity resources grant no escalation
    ([grant(["external.metrics.k8s.io"], ["*"], ["*"])], "pass"),
    ([grant(["custom.metrics.k8s.io"], ["*"], ["get", "list"])], "pass"),
    ([grant([""], ["pods"], ["impersonate"])], "pass"),
    ([grant(["authentication.k8s.io"], ["users"], ["impersonate"])], "pass"),  # users live in the core group
    ([grant(["apps"], ["roles"], ["bind"])], "pass"),
    ([grant(["rbac.authorization.k8s.io"], ["roles"], ["bind"])], "fail"),
    ([grant(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate"])], "fail"),
    ([grant(["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"], names=["view"])], "fail"),  # still binds view
    ([grant(["*"], ["roles"], ["*"])], "fail"),
    ([grant([""], ["users", "groups"], ["impersonate"])], "fail"),
    ([grant(["authentication.k8s.io"], ["uids"], ["impersonate"])], "fail"),
    ([grant(["authentication.k8s.io"], ["userextras/scopes"], ["impersonate"])], "fail"),
])
@pytest.mark.parametrize("kind", [ROLE, CLUSTER_ROLE])
def test_escalation_verbs_count_only_where_they_act(rules, expected, kind):
    assert_outcome(run(role(*rules, kind=kind)), "k8s-rbac-no-escalation-verbs", expected)


@pytest.mark.parametrize("rule", sorted({case[0] for case in ABUSE_CASES} | {"k8s-rbac-no-escalation-verbs"}))
def test_an_unknown_grant_cannot_be_verified(rule):
    assert_outcome(run(role(grant([""], UNKNOWN, ["create"]), kind=CLUSTER_ROLE)), rule, "unknown")


@pytest.mark.parametrize("field,value,names", [
    ("apiGroups", "", "rules[0].apiGroups is a string, not a list of strings"),
    ("resources", [["secrets"]], "rules[0].resources[0] is a list, not a string"),
    ("resourceNames", {"name": "x"}, "rules[0].resourceNames is an object, not a list of strings"),
    ("verbs", "get", "rules[0].verbs is a string, not a list of strings"),
])
def test_a_grant_field_of_the_wrong_type_cannot_be_judged(field, value, names):
    evaluation = run(role({**grant([""], ["secrets"], ["get"]), field: value}, kind=CLUSTER_ROLE))
    errors = [e.message for e in evaluation.errors if e.message.startswith(f"k8s-rbac-no-cluster-secret-read: {CANNOT_JUDGE}")]
    assert errors and names in errors[0], evaluation.errors


@pytest.mark.parametrize("subject,expected", [
    ({"kind": "Group", "name": "system:authenticated"}, "fail"),
    ({"kind": "Group", "name": "system:unauthenticated"}, "fail"),
    ({"kind": "User", "name": "system:anonymous"}, "fail"),
    ({"kind": "Group", "name": "system:anonymous"}, "fail"),
    ({"kind": "Group", "name": "devs"}, "pass"),
    ({"kind": "User", "name": "system:authenticated-auditor"}, "pass"),
    ({"kind": "ServiceAccount", "name": "system:anonymous", "namespace": "app"}, "pass"),  # an odd name, one account
    ({"kind": "Group", "name": UNKNOWN}, "unknown"),
])
@pytest.mark.parametrize("kind", [ROLE_BINDING, CLUSTER_ROLE_BINDING])
def test_binding_a_role_to_everyone_fails(subject, expected, kind):
    binding = {"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "Group", "name": "devs"}, subject]}
    assert_outcome(run(resource(kind, "b", binding)), "k8s-rbac-no-binding-to-everyone", expected)
