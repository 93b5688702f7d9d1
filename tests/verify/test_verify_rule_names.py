"""verify reports under the policy pack's own rule names, so preview and live results pair up."""
from policies.pack import RULES
from preflight.verify import VERIFY_RULES


def test_every_verify_rule_is_a_pack_rule():
    assert set(VERIFY_RULES) - {rule.name for rule in RULES} == set()
