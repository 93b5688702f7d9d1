"""One catalogue, two enforcers: every Kyverno rule has its CrossGuard twin, and the reverse."""
import pytest

from policy_plans import UNKNOWN, assert_outcome, changed, resource, run
from policies import kyverno, pack
from policies.secret_names import SECRET_NAME_PATTERN
from policies.workload_catalog import CATALOG, KyvernoParams

PARAMS = KyvernoParams(failure_action="Enforce", cosign_public_keys=("-----BEGIN PUBLIC KEY-----\nMFk...\n-----END PUBLIC KEY-----\n",))
CLUSTER_POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"


def generated_rules():
    """(ClusterPolicy name, Kyverno rule name, its CrossGuard twin) for every generated rule."""
    for doc in kyverno.cluster_policies(PARAMS):
        twin = doc["metadata"]["annotations"][kyverno.TWIN_ANNOTATION]
        for rule in doc["spec"]["rules"]:
            yield doc["metadata"]["name"], rule["name"], twin


def test_every_kyverno_rule_has_its_crossguard_twin_in_the_pack():
    pack_rules = {r.name for r in pack.RULES}
    for policy, rule, twin in generated_rules():
        assert twin in pack_rules, f"{policy}/{rule} has no CrossGuard twin {twin}"


def test_every_workload_crossguard_rule_has_a_kyverno_twin():
    twins = {twin for _, _, twin in generated_rules()}
    workload_rules = {r.name for r in pack.RULES if "workload" in r.tags or r.name == "k8s-namespace-psa-restricted"}
    assert workload_rules == twins == {c.rule for c in CATALOG}


def test_policy_and_rule_names_are_unique():
    names = [(p, r) for p, r, _ in generated_rules()]
    assert len(names) == len(set(names))
    assert len({c.kyverno_policy for c in CATALOG}) == len(CATALOG)


def failure_actions(rule: dict) -> list[str]:
    if "validate" in rule:
        return [rule["validate"]["failureAction"]]
    return [v["failureAction"] for v in rule["verifyImages"]]


def test_documents_use_per_rule_failure_actions_not_the_deprecated_field():
    for doc in kyverno.cluster_policies(PARAMS):
        assert "validationFailureAction" not in doc["spec"]
        assert doc["spec"]["webhookConfiguration"]["failurePolicy"] == "Fail"
        for rule in doc["spec"]["rules"]:
            actions = failure_actions(rule)
            assert actions and set(actions) == {"Enforce"}


def test_verify_images_uses_the_kms_public_key_and_the_ecr_patterns():
    doc = next(d for d in kyverno.cluster_policies(PARAMS) if d["metadata"]["name"] == "verify-image-signatures")
    verify = doc["spec"]["rules"][0]["verifyImages"][0]
    assert verify["imageReferences"] == list(PARAMS.signed_image_patterns)
    assert verify["attestors"][0]["entries"][0]["keys"]["publicKeys"] == PARAMS.cosign_public_keys[0]
    assert verify["verifyDigest"] is True and verify["required"] is True


def test_registry_pattern_lists_every_allowed_registry():
    params = KyvernoParams(allowed_registries=("a.example", "b.example"))
    doc = kyverno.cluster_policy(next(c for c in CATALOG if c.kyverno_policy == "restrict-image-registries"), params)
    pattern = doc["spec"]["rules"][0]["validate"]["pattern"]["spec"]["containers"][0]["image"]
    assert pattern == "a.example/* | b.example/*"


def test_secret_env_twins_judge_names_by_the_one_shared_pattern():
    doc = next(d for d in kyverno.cluster_policies(PARAMS) if d["metadata"]["name"] == "disallow-secrets-in-env")
    name_condition = doc["spec"]["rules"][0]["validate"]["foreach"][0]["deny"]["conditions"]["all"][0]
    # The pattern sits in a single-quoted JMESPath literal, so it must not contain a quote itself.
    assert "'" not in SECRET_NAME_PATTERN
    assert name_condition["key"] == f"{{{{ regex_match('{SECRET_NAME_PATTERN}', '{{{{element.name}}}}') }}}}"


def installed(params=PARAMS, drop=(), fail_open=False):
    """The release and the catalogue's ClusterPolicies as the admission component registers them;
    fail_open sets every webhook to Ignore, whatever the policies' failure actions."""
    release = resource(RELEASE, "kyverno", {"chart": "kyverno", "version": "3.3.4"})
    docs = [d for d in kyverno.cluster_policies(params) if d["metadata"]["name"] not in drop]
    if fail_open:
        docs = [changed(d, "spec.webhookConfiguration.failurePolicy", "Ignore") for d in docs]
    return [release] + [resource(CLUSTER_POLICY, d["metadata"]["name"], d, depends_on=[release]) for d in docs]


@pytest.mark.parametrize("resources,config,expected", [
    (installed(), "policies/config/prod.json", "pass"),
    (installed(KyvernoParams(failure_action="Audit")), "policies/config/prod.json", "fail"),
    (installed(KyvernoParams(failure_action="Audit")), "policies/config/dev.json", "pass"),
    (installed(fail_open=True), "policies/config/prod.json", "fail"),
    (installed(drop=("disallow-privileged-containers",)), "policies/config/dev.json", "fail"),
])
def test_kyverno_policies_present(resources, config, expected):
    assert_outcome(run(*resources, config=config), "kyverno-policies-present", expected)


def test_kyverno_policy_with_unknown_failure_action_cannot_be_verified():
    resources = installed()
    last = resources[-1]
    unknown = resource(CLUSTER_POLICY, last.name, changed(last.inputs, "spec.rules.0.validate.failureAction", UNKNOWN),
                       depends_on=[resources[0]])
    assert_outcome(run(*resources[:-1], unknown), "kyverno-policies-present", "unknown")


def test_critical_controls_enforce_and_fail_closed_even_where_the_stack_audits():
    for doc in kyverno.cluster_policies(KyvernoParams(failure_action="Audit")):
        critical = doc["metadata"]["annotations"]["policies.kyverno.io/severity"] == "critical"
        action = "Enforce" if critical else "Audit"
        assert doc["spec"]["webhookConfiguration"]["failurePolicy"] == ("Fail" if critical else "Ignore")
        assert {a for rule in doc["spec"]["rules"] for a in failure_actions(rule)} == {action}


def test_a_persistent_volume_policy_excludes_no_namespace():
    doc = next(d for d in kyverno.cluster_policies(PARAMS) if d["metadata"]["name"] == "disallow-host-path-persistent-volumes")
    assert all("exclude" not in rule for rule in doc["spec"]["rules"])
