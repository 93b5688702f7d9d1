"""The rule wrapper's safety net: whatever a check raises, the pack reports it as "cannot judge" (an
error naming the rule and the exception) and goes on; nothing a check does can crash the pack."""
from policies.severity import Severity

from policies.frameworks import nist
from policies.rule import Rule, each_resource
from policy_plans import plan, resource
from preflight.evaluation import evaluate

BUCKET = "aws:s3/bucket:Bucket"


def rule(check, *resource_types: str, name: str = "crashes") -> Rule:
    return Rule(name=name, description="A rule.", severity=Severity.HIGH, controls=(nist("4.1.1"),), tags=("test",),
                remediation="None.", url="https://example.com/rule", check=check, resource_types=resource_types)


def evaluated(*rules: Rule, resources=(resource(BUCKET, "a"), resource(BUCKET, "b"))):
    return evaluate(plan(*resources), {"all": "mandatory"}, rules=rules, engine="both",
                    pack_name="t", pack_version="1.0.0")


def test_an_exception_in_a_resource_check_is_an_error_after_what_it_found():
    def check(args, config):
        yield f"{args.name} is judged"
        raise KeyError("acl")

    evaluation = evaluated(rule(check, BUCKET))
    assert sorted(v.message.split("\n")[1] for v in evaluation.violations) == ["a is judged", "b is judged"]
    assert [e.path.rsplit("::", 1)[1] for e in evaluation.errors] == ["a", "b"]
    assert evaluation.errors[0].message == "crashes: cannot judge: rule crashes failed (KeyError: 'acl')"
    assert "crashes" not in evaluation.passed


def test_an_exception_in_a_stack_check_is_an_error_named_by_the_rule_and_other_rules_still_run():
    def check(args, config):
        raise ZeroDivisionError("division by zero")
        yield  # a generator, like every check

    def finds(args, config):
        return each_resource(args.resources, lambda r: [f"{r.name} found"])

    evaluation = evaluated(rule(check), rule(finds, name="finds"))
    [error] = evaluation.errors
    assert error.path == "crashes"
    assert error.message == "crashes: cannot judge: rule crashes failed (ZeroDivisionError: division by zero)"
    assert len(evaluation.of("finds")) == 2


def test_an_exception_on_one_resource_of_a_stack_check_is_reported_on_that_resource_only():
    def check_one(r):
        if r.name == "a":
            raise ValueError("bad input")
        yield f"{r.name} found"

    evaluation = evaluated(rule(lambda args, config: each_resource(args.resources, check_one)))
    assert [v.message.split("\n")[1] for v in evaluation.violations] == ["b found"]
    [error] = evaluation.errors
    assert error.path.endswith("::a")
    assert error.message == "crashes: cannot judge: the check failed on this resource (ValueError: bad input)"


def test_not_applicable_is_not_caught_by_the_net():
    def check(args, config):
        args.not_applicable("buckets are out of scope here")
        yield "never"

    evaluation = evaluated(rule(check, BUCKET))
    assert evaluation.errors == () and evaluation.violations == ()
    assert {n.reason for n in evaluation.not_applicable} == {"buckets are out of scope here"}
