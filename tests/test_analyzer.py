"""The adapter drives pulumi-policy's own analyzer servicer the way the engine does."""
import pytest
from pulumi_policy import PolicyConfigSchema, ResourceValidationPolicy, Severity, StackValidationPolicy

from preflight.analyzer import ConfigError, evaluate
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
