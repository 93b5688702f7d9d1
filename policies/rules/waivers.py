"""The waiver file itself, judged where the pack runs: readable, and no waiver of this stack
expiring further ahead than the environment allows.

The limit is this rule's pack config (`maxDays`), so each environment's config file sets it and a
real preview enforces it: the Pulumi engine hands a policy only its own config, which is why the
limit lives on a rule. preflight's loader applies the same limit from the same config.
"""
from __future__ import annotations

from policies.severity import Severity

from policies import waivers
from policies.frameworks import nist_800_53
from policies.rule import CANNOT_JUDGE, Finding, Rule, config_value

CONFIG = {
    "maxDays": {
        "type": "integer", "default": 90, "minimum": 1,
        "description": "How many days ahead a waiver of this environment's stacks may expire.",
    },
}


def _check(args, config):
    stack = next((waivers.stack_of(r.urn) for r in args.resources), None)
    if stack is None:
        return
    try:
        loaded = waivers.load_shipped()
    except waivers.WaiverError as err:
        for problem in err.problems:
            yield Finding(None, f"{CANNOT_JUDGE}: {problem}")
        return
    for problem in loaded.beyond(stack, config_value(config, CONFIG, "maxDays"), waivers.today()):
        yield Finding(None, str(problem))


RULES = (
    Rule(
        name="policy-waivers-valid",
        description="Waivers of this stack's findings are readable and expire within the environment's limit",
        severity=Severity.HIGH,
        controls=(nist_800_53("CA-5"),),
        tags=("waivers", "governance"),
        remediation="Fix the entry in policies/waivers.yaml the message names: give it an owner, a reason and an "
                    "expiry date no further ahead than the environment's maxDays (pack config), and renew it by a "
                    "reviewed change when the risk is still accepted.",
        url="https://csrc.nist.gov/projects/cprt/catalog#/cprt/framework/version/SP_800_53_5_1_1/home?element=CA-5",
        check=_check,
        config=CONFIG,
    ),
)
