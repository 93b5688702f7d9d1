"""iam-role-trust-no-wildcard-principal: who may assume a role is named, never everyone."""
import pytest

from policy_plans import UNKNOWN, assert_outcome, policy_json, resource, run

ROLE = "aws:iam/role:Role"
ASSUME = "sts:AssumeRole"


def trust(principal, condition=None, key="Principal", effect="Allow"):
    statement = {"Effect": effect, key: principal, "Action": ASSUME}
    if condition:
        statement["Condition"] = condition
    return policy_json(statement)


@pytest.mark.parametrize("document,expected", [
    (trust({"Service": "ec2.amazonaws.com"}), "pass"),
    (trust({"AWS": "arn:aws:iam::111111111111:root"}), "pass"),
    (trust("*"), "fail"),
    (trust({"AWS": "*"}), "fail"),
    (trust({"AWS": ["arn:aws:iam::111111111111:root", "*"]}), "fail"),
    (trust({"AWS": "arn:aws:iam::111111111111:role/x"}, key="NotPrincipal"), "fail"),
    (trust({"AWS": "*"}, effect="Deny"), "pass"),
    (trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), "pass"),
    (trust({"AWS": "*"}, {"StringLike": {"aws:PrincipalOrgID": "*"}}), "fail"),
    (UNKNOWN, "unknown"),
])
def test_role_trust_names_who_may_assume(document, expected):
    assert_outcome(run(resource(ROLE, "r", {"assumeRolePolicy": document})), "iam-role-trust-no-wildcard-principal", expected)


def test_the_programs_roles_name_their_principals():
    from preflight.evaluation import evaluate, load_pack_config
    from preflight.engine import run_program

    plan = run_program(stack="prod")
    roles = plan.by_type(ROLE)
    assert len(roles) > 5
    assert evaluate(plan, load_pack_config("policies/config/prod.json")).of("iam-role-trust-no-wildcard-principal") == ()
