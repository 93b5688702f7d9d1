"""The direct path and the servicer agree on every rule fixture: the rule tests (tests/policies, with
their hand-written cases and their property-based ones) run again with PREFLIGHT_ENGINE=both, so
each evaluation they make goes through both paths and any difference fails that test with
EngineMismatch. The rule tests are collected as they are at test time, new rules included.
"""
from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

from preflight.evaluation import ENGINE_VARIABLE
from preflight.stack_files import PROJECT_ROOT


def test_every_rule_fixture_is_judged_alike_by_both_paths(tmp_path):
    junit = tmp_path / "rules.xml"
    subprocess.run([sys.executable, "-m", "pytest", "tests/policies", "-q", "-p", "no:cacheprovider",
                    f"--junitxml={junit}"], cwd=PROJECT_ROOT, env={**os.environ, ENGINE_VARIABLE: "both"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
    cases = list(ElementTree.parse(junit).iter("testcase"))
    problems = {f"{case.get('classname')}::{case.get('name')}": "".join(problem.itertext())
                for case in cases for problem in case if problem.tag in ("failure", "error")}
    mismatches = {name: text for name, text in problems.items() if "EngineMismatch" in text}
    uncollected = [case.get("name") for case in cases if not case.get("classname") and len(case)]
    assert not mismatches, "\n\n".join(f"{name}: {text[-2000:]}" for name, text in mismatches.items())
    assert not uncollected, f"rule tests that could not be collected, so their fixtures were not compared: {uncollected}"
    assert sum(1 for case in cases if not len(case)) > 100  # the rule tests did run, through both paths
