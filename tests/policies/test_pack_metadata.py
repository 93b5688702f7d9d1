"""The pack as auditors and the CLI see it: metadata complete, config files valid, docs current."""
import json
import re
from pathlib import Path

import yaml
from policies.severity import Severity

from policies import docs, pack

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_carries_the_metadata_auditors_read():
    for rule in pack.RULES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", rule.name), rule.name
        assert rule.description and rule.remediation and rule.tags, rule.name
        assert rule.url.startswith("https://"), rule.name
        assert rule.controls and all(c.reference for c in rule.controls), rule.name


def test_rule_names_are_unique():
    names = [r.name for r in pack.RULES]
    assert len(names) == len(set(names))


def test_config_files_name_only_existing_rules_and_every_rule():
    names = {r.name for r in pack.RULES}
    for env in ("dev", "prod"):
        config = json.loads((ROOT / "policies" / "config" / f"{env}.json").read_text())
        assert set(config) - {"all"} == names, env


def test_critical_and_high_rules_are_mandatory_in_prod():
    prod = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
    for rule in pack.RULES:
        entry = prod[rule.name]
        level = entry if isinstance(entry, str) else entry["enforcementLevel"]
        if rule.severity in (Severity.CRITICAL, Severity.HIGH):
            assert level == "mandatory", rule.name


def test_pack_version_matches_pulumipolicy_yaml():
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert str(manifest["version"]) == pack.PACK_VERSION
    assert manifest["runtime"]["name"] == "python"


def test_policies_md_is_generated_from_the_current_metadata():
    assert docs.TARGET.read_text() == docs.render(), "docs/policies.md is stale: run python -m policies.docs"


def test_readme_rule_table_is_generated_from_the_current_metadata():
    readme = docs.README.read_text()
    assert docs.README_START in readme and docs.README_END in readme
    assert readme == docs.readme_with_table(readme), "README rule table is stale: run python -m policies.docs"
