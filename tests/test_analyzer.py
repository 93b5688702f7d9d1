"""The adapter drives pulumi-policy's own analyzer servicer the way the engine does."""
from pathlib import Path

import pytest
from pulumi_policy import PolicyConfigSchema, ResourceValidationPolicy, Severity, StackValidationPolicy

from preflight.evaluation import ConfigError, evaluate
from preflight.commands import check_plan
from preflight.model import Plan, RecordedResource

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def plan(*resources):
    return Plan(project="p", stack="s", resources=tuple(resources), outputs={})


def bucket(name, inputs, parent=None):
    return RecordedResource(urn=f"urn:pulumi:s::p::aws:s3/bucket:Bucket::{name}", type="aws:s3/bucket:Bucket",
                            name=name, custom=True, inputs=inputs, parent=parent)


def reads_acl(args, report):
    if args.props.get("acl") == "public-read":
        report("public", None)


def counts(args, report):
    report(f"{len(args.resources)} resources; limit {args.get_config().get('limit')}", None)


POLICIES = [
    ResourceValidationPolicy(name="no-public-acl", description="No public ACL.", validate=reads_acl,
                             severity=Severity.HIGH),
    StackValidationPolicy(name="count", description="Counts.", validate=counts, severity=Severity.LOW,
                          config_schema=PolicyConfigSchema(
                              properties={"limit": {"type": "integer", "default": 3}})),
]


def run(resources, config=None):
    return evaluate(plan(*resources), config, policies=POLICIES, pack_name="t", pack_version="0.0.1")


def test_resource_violation_is_attributed_to_the_resource_with_severity():
    result = run([bucket("b", {"acl": "public-read"})])
    [violation] = result.of("no-public-acl")
    assert violation.urn.endswith("::b") and violation.severity == "high" and violation.enforcement == "advisory"
    assert violation.message == "No public ACL.\npublic"


def test_policy_level_config_overrides_all_which_overrides_the_default():
    result = run([bucket("b", {"acl": "public-read"})], {"all": "mandatory", "count": "disabled"})
    assert result.of("no-public-acl")[0].enforcement == "mandatory"
    assert result.of("count") == ()
    assert {p.name: p.enforcement for p in result.policies} == {"no-public-acl": "mandatory", "count": "disabled"}


def test_schema_defaults_then_configured_properties_reach_the_policy():
    # Config travels as a protobuf Struct, so numbers arrive as floats, as from the engine.
    assert run([]).of("count")[0].message.endswith("limit 3.0")
    assert run([], {"count": {"enforcementLevel": "advisory", "limit": 9}}).of("count")[0].message.endswith("limit 9.0")


def test_config_that_does_not_fit_the_schema_is_refused():
    with pytest.raises(ConfigError):
        run([], {"count": {"limit": "many"}})
    with pytest.raises(ConfigError):
        run([], {"count": "sometimes"})


def test_unknown_values_reach_the_policy_as_the_sdk_unknown_and_are_downgraded_by_the_sdk():
    # A rule that does not decide about unknowns gets the SDK's behaviour: advisory, no URN.
    result = run([bucket("b", {"acl": UNKNOWN})], {"all": "mandatory"})
    [violation] = result.of("no-public-acl")
    assert violation.enforcement == "advisory" and "can't be known during preview" in violation.message


def test_passed_lists_enabled_policies_without_violations():
    result = run([bucket("b", {"acl": "private"})], {"count": "disabled"})
    assert result.passed == ("no-public-acl",)


def test_stack_policies_see_parents():
    parent = RecordedResource(urn="urn:pulumi:s::p::my:c:C::c", type="my:c:C", name="c", custom=False, inputs={})
    seen = []

    def check(args, report):
        seen.extend((r.name, r.parent.name if r.parent else None) for r in args.resources)

    policy = StackValidationPolicy(name="parents", description="d", validate=check)
    evaluate(plan(parent, bucket("b", {}, parent=parent.urn)), policies=[policy], pack_name="t", pack_version="1")
    assert seen == [("c", None), ("b", "c")]


def test_pack_rules_fail_closed_on_unknowns_at_their_own_level():
    result = evaluate(plan(RecordedResource(
        urn="urn:pulumi:s::p::aws:kms/key:Key::k", type="aws:kms/key:Key", name="k", custom=True,
        inputs={"enableKeyRotation": UNKNOWN, "policy": "{}"})), {"kms-key-rotation": "mandatory"})
    [violation] = result.of("kms-key-rotation")
    assert violation.enforcement == "mandatory" and "cannot verify at preview" in violation.message
    assert violation.urn.endswith("::k")


# --- Fail closed: what was not judged is an error, never a pass and never a crash -------------------

def reports(message, urn=None):
    def validate(args, report):
        report(message, urn)
    return validate


def raises(args, report):
    raise RuntimeError("the policy broke")


def test_a_cannot_judge_report_is_an_error_not_a_violation():
    policy = ResourceValidationPolicy(name="judges", description="Judges.", validate=reports("cannot judge: acl is 5"))
    result = evaluate(plan(bucket("b", {"acl": 5})), {}, policies=[policy], pack_name="t", pack_version="1")
    assert result.violations == () and "judges" not in result.passed
    [error] = result.errors
    assert error.path.endswith("::b") and error.message == "judges: cannot judge: acl is 5"


def test_a_cannot_judge_report_about_the_stack_is_an_error_named_by_the_policy():
    policy = StackValidationPolicy(name="stack-judges", description="Judges.", validate=reports("cannot judge: no"))
    [error] = evaluate(plan(), {}, policies=[policy], pack_name="t", pack_version="1").errors
    assert (error.path, error.message) == ("stack-judges", "stack-judges: cannot judge: no")


def test_a_policy_that_raises_is_an_error_on_the_resource_and_the_others_still_judge_it():
    broken = ResourceValidationPolicy(name="broken", description="Broken.", validate=raises)
    result = evaluate(plan(bucket("b", {"acl": "public-read"})), {}, policies=[broken, *POLICIES],
                      pack_name="t", pack_version="1")
    assert [v.policy for v in result.of("no-public-acl")] == ["no-public-acl"]
    [error] = result.errors
    assert error.path.endswith("::b")
    assert error.message == "broken: could not evaluate b (RuntimeError: the policy broke)"
    assert "broken" not in result.passed and "no-public-acl" not in result.passed


def test_a_stack_policy_that_raises_is_an_error_and_the_other_stack_policies_still_run():
    broken = StackValidationPolicy(name="broken-stack", description="Broken.", validate=raises)
    result = evaluate(plan(bucket("b", {})), {}, policies=[broken, *POLICIES], pack_name="t", pack_version="1")
    assert len(result.of("count")) == 1
    [error] = result.errors
    assert error.path == "broken-stack" and error.message.startswith("broken-stack: could not evaluate the stack")


def nested(depth):
    value = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("inputs,why", [
    ({"size": 10 ** 400}, "OverflowError"),  # beyond a double
    ({"ratio": float("nan")}, "ValueError"),  # the SDK cannot read it back
    ({"tags": nested(5000)}, "RecursionError"),
])
def test_inputs_the_sdk_cannot_take_are_an_error_and_the_rest_of_the_plan_is_judged(inputs, why):
    result = run([bucket("odd", inputs), bucket("b", {"acl": "public-read"})])
    [error] = result.errors
    assert error.path.endswith("::odd") and error.message.startswith(f"the inputs of odd cannot be evaluated ({why}")
    assert [v.urn.rsplit("::", 1)[1] for v in result.of("no-public-acl")] == ["b"]
    assert result.of("count")[0].message.startswith("Counts.\n1 resources")  # the stack is judged without it


def test_check_passes_what_the_pack_could_not_judge_on_as_errors():
    deployment = RecordedResource(urn="urn:pulumi:s::p::kubernetes:apps/v1:Deployment::web",
                                  type="kubernetes:apps/v1:Deployment", name="web", custom=True,
                                  inputs={"metadata": {"namespace": "app"}, "spec": "replicas: 2"})
    report = check_plan(plan(deployment), Path("Pulumi.dev.yaml"), {})
    assert report.verdict == "error"
    assert any("cannot judge: spec is a string, not an object" in e.message for e in report.errors)


def test_a_config_entry_for_no_policy_of_the_pack_is_refused_with_the_names_meant():
    with pytest.raises(ConfigError, match=r"'k8s-run-as-non-rot' \(did you mean 'k8s-run-as-non-root'"):
        evaluate(plan(), {"all": "advisory", "k8s-run-as-non-rot": "mandatory"})
    assert evaluate(plan(), {"all": "advisory", "k8s-run-as-non-root": "mandatory"}).policies  # a real name is fine
