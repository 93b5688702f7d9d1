"""Rule modules, one per area; each exposes RULES, a tuple of policies.rule.Rule."""
