"""Reading on every core changes nothing but the time: the same resources, names, locations and
errors in the same order as reading the files one after another, and a worker that fails costs
only time (its files are read in-process), never a file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from preflight import parallel_map
from preflight.manifests import load_manifests
from preflight.safe_load import Limits

@pytest.fixture(autouse=True)
def single_threaded(request, monkeypatch):
    """The suite may run servers on threads of this process (moto's); the process is forked here as
    a scan's process, which has no other thread, would be."""
    if "not_forked" not in request.node.name:
        monkeypatch.setattr(parallel_map, "_threads", lambda: 1)


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
       "spec": {"containers": [{"name": "c", "image": "registry.example/app@sha256:" + "a" * 64}]}}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """300 files: repeated names (numbered in file order), lists, multi-document files, broken YAML,
    an alias bomb, duplicate keys, bad encodings, and objects the scan refuses."""
    for index in range(300):
        path = tmp_path / f"d{index % 7}" / f"{index:03d}.yaml"
        path.parent.mkdir(exist_ok=True)
        if index % 50 == 3:
            path.write_text("a: [1, 2\n")
        elif index % 50 == 7:
            path.write_text("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c, *c]\n")
        elif index % 50 == 11:
            path.write_text("kind: Pod\nkind: Pod\n")
        elif index % 50 == 13:
            path.write_bytes(b"\xff\xfe\x00bad")
        elif index % 50 == 17:
            path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [POD, POD, 5]}))
        elif index % 50 == 19:
            path.write_text(yaml.safe_dump_all([POD, None, {"kind": "Pod"}, POD]))
        else:
            path.write_text(yaml.safe_dump(POD))
    return tmp_path


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_every_worker_count_reads_what_one_reader_reads(tree, workers, monkeypatch):
    limits = Limits(max_aliases=20, max_nodes=2000)  # small: the per-file limits and the scan's budget both decide
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, "1")
    alone = load_manifests([tree], root=tree, limits=limits)
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, str(workers))
    spread = load_manifests([tree], root=tree, limits=limits)
    assert spread == alone
    assert alone.errors and alone.resources and any("#2" in r.name for r in alone.resources)
    assert any("scan would hold more than 2000 values" in e.message for e in alone.errors)


def test_the_runs_are_read_by_other_processes():
    parent = os.getpid()
    read_by = list(parallel_map.ordered_map(list(range(200)), lambda item: (item, os.getpid()), workers=2))
    assert [item for item, _ in read_by] == list(range(200))
    assert {pid for _, pid in read_by[:100]} == {parent} and parent not in {pid for _, pid in read_by[100:]}


def test_a_worker_that_dies_costs_only_time():
    parent = os.getpid()

    def dies_in_a_worker(item):
        if os.getpid() != parent:
            os._exit(3)
        return item * 2

    assert list(parallel_map.ordered_map(list(range(300)), dies_in_a_worker, workers=3)) == [i * 2 for i in range(300)]


def test_a_worker_whose_parse_raises_leaves_the_error_to_this_process():
    def breaks_on_250(item):
        if item == 250:
            raise ValueError("unreadable")
        return item

    with pytest.raises(ValueError, match="unreadable"):
        list(parallel_map.ordered_map(list(range(300)), breaks_on_250, workers=2))


def test_few_files_are_read_in_process():
    parent = os.getpid()
    assert {pid for pid in parallel_map.ordered_map(list(range(100)), lambda _: os.getpid(), workers=8)} == {parent}


def children() -> set[str]:
    return set(Path(f"/proc/self/task/{os.getpid()}/children").read_text().split())


def test_a_caller_that_stops_early_leaves_no_worker_behind():
    before = children()
    answers = parallel_map.ordered_map(list(range(300)), lambda item: item, workers=3)
    assert next(answers) == 0
    assert len(children() - before) == 2  # two workers at work
    answers.close()  # as when the caller fails half way
    assert children() == before  # both stopped and reaped


def test_judging_on_every_core_finds_what_one_process_finds(monkeypatch):
    from policies.bench import synthetic_plan
    from preflight.evaluation import evaluate, load_pack_config

    plan, config = synthetic_plan(400), load_pack_config("policies/config/prod.json")
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, "1")
    alone = evaluate(plan, config)
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, "3")
    assert evaluate(plan, config) == alone and alone.violations


def test_a_worker_that_stalls_is_stopped_and_its_run_done_here(monkeypatch):
    import time

    monkeypatch.setattr(parallel_map, "STALL_FLOOR", 0.5)
    parent = os.getpid()

    def stalls_in_a_worker(item):
        if os.getpid() != parent:
            time.sleep(120)
        return item + 1

    before, began = children(), time.monotonic()
    assert list(parallel_map.ordered_map(list(range(200)), stalls_in_a_worker, workers=2)) == list(range(1, 201))
    assert time.monotonic() - began < 30 and children() == before


def test_a_process_running_other_threads_is_not_forked():
    import threading

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        pids = set(parallel_map.ordered_map(list(range(300)), lambda _: os.getpid(), workers=3))
    finally:
        release.set()
        thread.join()
    assert pids == {os.getpid()}


def test_resources_with_unknown_values_are_judged_alike_on_every_core(monkeypatch):
    # Their props reach rules as the SDK's proxies, which travel back from a worker intact.
    from dataclasses import replace

    from policies.bench import synthetic_plan
    from preflight.evaluation import evaluate, load_pack_config
    from preflight.model import Plan

    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    plan = synthetic_plan(300)
    resources = tuple(replace(r, inputs={**r.inputs, "metadata": {"name": unknown, "namespace": unknown}})
                      if i % 7 == 0 and r.type.startswith("kubernetes:") else r for i, r in enumerate(plan.resources))
    plan = Plan(plan.project, plan.stack, resources, {})
    config = load_pack_config("policies/config/prod.json")
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, "1")
    alone = evaluate(plan, config)
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, "2")
    assert evaluate(plan, config) == alone
    assert any("can't be known" in v.message for v in alone.violations)


@pytest.mark.parametrize("given", ["0", "-1", "two", "1.5", ""])
def test_a_workers_setting_that_is_no_count_is_refused(given, monkeypatch):
    monkeypatch.setenv(parallel_map.WORKERS_VARIABLE, given)
    with pytest.raises(parallel_map.WorkersError, match="PREFLIGHT_WORKERS"):
        list(parallel_map.ordered_map(list(range(300)), lambda item: item))


def test_a_worker_holds_answers_up_to_the_cap_and_the_rest_is_done_here():
    parent = os.getpid()
    answers = list(parallel_map.ordered_map(list(range(300)), lambda item: (item, os.getpid()), workers=2,
                                            weight=lambda answer: 10, cap=200))
    assert [item for item, _ in answers] == list(range(300))
    by_worker = [item for item, pid in answers if pid != parent]
    assert by_worker == list(range(150, 171))  # 21 answers weigh 210, past the cap: the rest came from here
