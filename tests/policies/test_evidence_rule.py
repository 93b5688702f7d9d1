"""s3-evidence-object-lock on the prod plan: it passes, and each way of weakening the lock fails it,
and only it; a wrong type is "cannot judge", a value unknown at preview "cannot verify"."""
from __future__ import annotations

import dataclasses

import pytest

from components.config_rules import PROD_MIN_EVIDENCE_RETENTION_DAYS
from policy_plans import PROD, UNKNOWN, assert_outcome, edited
from preflight.engine import run_program
from preflight.evaluation import evaluate, load_pack_config
from preflight.model import Plan

RULE = "s3-evidence-object-lock"
LOCK = "evidence-object-lock"


@pytest.fixture(scope="module")
def prod() -> Plan:
    return run_program(stack="prod")


def retention(**values):
    def edit(inputs):
        inputs["rule"]["defaultRetention"].update(values)
    return edit


def test_the_prod_plan_passes(prod):
    assert_outcome(evaluate(prod, load_pack_config(PROD)), RULE, "pass")


def test_the_prod_pack_config_asks_what_prod_settings_must_give():
    assert load_pack_config(PROD)[RULE]["minRetentionDays"] == PROD_MIN_EVIDENCE_RETENTION_DAYS


WEAKENED = {
    "governance mode": (LOCK, retention(mode="GOVERNANCE"), "not COMPLIANCE"),
    "shorter retention": (LOCK, retention(days=30.0), "30 days, under 365 days"),
    "no retention": (LOCK, lambda inputs: inputs["rule"]["defaultRetention"].pop("days"), "not set, under 365"),
    "lock not enabled": (LOCK, lambda inputs: inputs.update(objectLockEnabled="Disabled"), "does not enable"),
    "bucket without object lock": ("evidence", lambda inputs: inputs.pop("objectLockEnabled"),
                                   "created without Object Lock"),
}


@pytest.mark.parametrize("case", sorted(WEAKENED))
def test_each_weakening_fails_this_rule_alone(prod, case):
    name, edit, words = WEAKENED[case]
    config = load_pack_config(PROD)
    before = evaluate(prod, config)
    after = evaluate(edited(prod, name, edit), config)
    assert any(words in v.message for v in after.of(RULE)), [v.message for v in after.of(RULE)]
    assert {v.policy for v in after.violations} - {v.policy for v in before.violations} == {RULE}


def test_an_evidence_bucket_without_its_lock_configuration_fails(prod):
    plan = dataclasses.replace(prod, resources=tuple(r for r in prod.resources if r.name != LOCK))
    after = evaluate(plan, load_pack_config(PROD))
    assert any("no Object Lock configuration" in v.message for v in after.of(RULE))


def test_years_count_as_days(prod):
    plan = edited(prod, LOCK, lambda inputs: inputs["rule"]["defaultRetention"].update(years=2.0, days=None))
    assert_outcome(evaluate(plan, load_pack_config(PROD)), RULE, "pass")


def test_a_wrong_type_is_an_error_and_an_unknown_is_not_a_pass(prod):
    wrong = evaluate(edited(prod, LOCK, retention(days="forever")), load_pack_config(PROD))
    assert any(RULE in e.message and "cannot judge" in e.message for e in wrong.errors)
    assert_outcome(evaluate(edited(prod, LOCK, retention(mode=UNKNOWN)), load_pack_config(PROD)), RULE, "unknown")
