"""The direct path and the servicer agree on the plans preflight really judges: both shipped stacks
under each pack config, a bench corpus built from their exported manifests and loaded as `scan`
loads it, and the synthetic plan of the pack benchmark."""
from __future__ import annotations

import pytest

from policies.bench import synthetic_plan
from preflight import bench_corpus
from preflight.evaluation import Evaluation, evaluate, load_pack_config
from preflight.engine import run_program
from preflight.manifests import export_manifests, load_manifests
from preflight.model import Plan
from preflight.scan import judged_types, kubernetes_rules

CONFIGS = {"dev": load_pack_config("policies/config/dev.json"), "prod": load_pack_config("policies/config/prod.json"),
           "all mandatory": {"all": "mandatory"}}


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {stack: run_program(stack=stack) for stack in ("dev", "prod")}


def judged_both_ways(plan: Plan, config: dict, rules=None) -> Evaluation:
    direct = evaluate(plan, config, rules=rules, engine="direct")
    servicer = evaluate(plan, config, rules=rules, engine="servicer")
    assert direct == servicer
    return direct


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_paths_judge_the_shipped_stacks_alike(plans, stack, config):
    evaluation = judged_both_ways(plans[stack], CONFIGS[config])
    assert evaluation.passed  # the pack ran


@pytest.mark.parametrize("config", ["dev", "prod"])
def test_both_paths_judge_the_bench_corpus_alike(plans, tmp_path_factory, config):
    exported = tmp_path_factory.mktemp("exported")
    for plan in plans.values():
        export_manifests(plan, exported / plan.stack)
    corpus = tmp_path_factory.mktemp("corpus")
    bench_corpus.build(corpus, 400, bench_corpus.exported([exported / "dev", exported / "prod"]), seed=7)
    loaded = load_manifests([corpus], judged_types=judged_types())
    assert len(loaded.resources) == 400 and not loaded.errors
    evaluation = judged_both_ways(Plan("manifests", "manifests", loaded.resources, {}), CONFIGS[config],
                                  kubernetes_rules())
    assert evaluation.violations


def test_both_paths_judge_the_pack_benchmark_alike():
    assert judged_both_ways(synthetic_plan(500), CONFIGS["prod"]).violations
