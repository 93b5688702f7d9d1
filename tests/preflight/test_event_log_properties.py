"""Properties of `preflight report` over event logs nobody wrote by hand: random bytes, random JSON
lines, and a real preview's log mutated. Whatever the input: no traceback, exit status 0, 1 or 2,
and 0 only when the whole log was read, this pack ran and no violation is mandatory; memory stays
bounded by the input limits.
"""
from __future__ import annotations

import json
import random
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.pack import PACK_NAME, PACK_VERSION
from preflight.event_log import EVENT_KINDS
from test_event_log_cases import assert_no_traceback, policy_event, preview, write_log

# The runner fixture and tmp_path are shared by the examples of one test: each example overwrites
# the one log file and reads its own output.
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Objects keyed by the envelope and the engine's own event kinds reach past the first checks.
event_like = st.dictionaries(st.sampled_from(sorted(EVENT_KINDS) + ["sequence", "timestamp"]),
                             json_values | st.dictionaries(st.text(max_size=16), json_values, max_size=5), max_size=3)


def report(preflight, path):
    run = preflight("report", path, "--format", "json")
    assert_no_traceback(run)
    assert run.status in (0, 1, 2)
    return run


def could_pass(data: bytes) -> bool:
    """What a log must at least be for exit 0: UTF-8 JSON objects, one line a summary naming this pack."""
    try:
        events = [json.loads(line) for line in data.decode("utf-8").split("\n") if line.strip()]
    except (UnicodeDecodeError, ValueError):
        return False
    summaries = [e.get("summaryEvent") for e in events if isinstance(e, dict) and "summaryEvent" in e]
    return (all(isinstance(e, dict) for e in events) and len(summaries) == 1 and isinstance(summaries[0], dict)
            and str(summaries[0].get("PolicyPacks", {}).get(PACK_NAME, "")).lstrip("v") == PACK_VERSION)


@PROPERTY
@given(data=st.binary(max_size=2000) | st.lists(st.binary(max_size=100), max_size=20).map(b"\n".join))
def test_random_bytes_are_never_a_pass(preflight, tmp_path, data):
    path = tmp_path / "random.jsonl"
    path.write_bytes(data)
    assert report(preflight, path).status == 2


@PROPERTY
@given(lines=st.lists(json_values | event_like, min_size=1, max_size=8))
def test_random_json_lines_are_never_a_pass(preflight, tmp_path, lines):
    path = write_log(tmp_path / "random.jsonl", [json.dumps(line) for line in lines])
    assert report(preflight, path).status == 2


@pytest.fixture
def real_log(tmp_path):
    """A dev preview that passes: one advisory violation, its resource, the summary naming this pack."""
    return write_log(tmp_path / "real.jsonl", preview()).read_bytes()


@PROPERTY
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["replace", "insert", "delete"]),
                                st.binary(min_size=1, max_size=3)), min_size=1, max_size=4))
def test_a_real_log_with_bytes_changed_passes_only_while_it_is_still_a_whole_log(preflight, tmp_path, real_log, edits):
    data = bytearray(real_log)
    for position, edit, value in edits:
        at = position % (len(data) + 1)
        if edit == "insert":
            data[at:at] = value
        elif edit == "replace":
            data[at:at + len(value)] = value
        else:
            del data[at:at + len(value)]
    path = tmp_path / "mutated.jsonl"
    path.write_bytes(bytes(data))
    if report(preflight, path).status == 0:
        assert could_pass(bytes(data))


@PROPERTY
@given(choice=st.lists(st.integers(0, 4), max_size=8))
def test_a_real_log_with_lines_dropped_or_repeated_needs_its_one_summary(preflight, tmp_path, real_log, choice):
    lines = real_log.decode().splitlines()
    kept = [lines[i] for i in choice]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(kept) + "\n")
    status = report(preflight, path).status
    summaries = sum('"summaryEvent"' in line for line in kept)
    if summaries != 1:
        assert status == 2
    if status == 0:
        assert could_pass(path.read_bytes())


@PROPERTY
@given(level=st.sampled_from(["advisory", "Advisory", "MANDATORY", "remediate", "disabled", "warning", ""])
       | st.text(max_size=12))
def test_a_real_log_with_its_level_rewritten_passes_only_at_advisory(preflight, tmp_path, level):
    events = preview()
    events[2] = policy_event(level)
    status = report(preflight, write_log(tmp_path / "level.jsonl", events)).status
    read = level.strip().lower()
    expected = 0 if read == "advisory" else 1 if read in ("mandatory", "remediate") else 2
    assert status == expected


@PROPERTY
@given(seed=st.integers(0, 2**32), value=json_values)
def test_a_real_log_with_a_field_replaced_never_crashes(preflight, tmp_path, seed, value):
    events = preview()
    chooser = random.Random(seed)
    target = events[chooser.randrange(len(events))]
    # Walk down to a random field of a random event and put any JSON value in its place.
    while True:
        key = chooser.choice(sorted(target))
        if not isinstance(target[key], dict) or not target[key] or chooser.random() < 0.3:
            break
        target = target[key]
    target[key] = value
    path = write_log(tmp_path / "field.jsonl", events)
    if report(preflight, path).status == 0:
        assert could_pass(path.read_bytes())


def _hostile_shapes(size: int) -> dict[str, str]:
    """Logs of `size` bytes built to cost the most per byte: many tiny lines, many violations, one wide
    or deep line, one long string."""
    base = "\n".join(json.dumps(event) for event in preview()) + "\n"
    room = size - len(base) - 64

    def repeated(unit: str) -> str:
        return base + unit * (room // len(unit))

    violation = json.dumps({"policyEvent": {"policyName": "x", "policyPackName": PACK_NAME}}, separators=(",", ":"))
    return {
        "tiny lines": repeated("{}\n"),
        "violations": repeated(violation + "\n"),
        "wide line": base + "[" + ",".join(["{}"] * (room // 3)) + "]\n",
        "deep line": base + "[" * (room // 2) + "]" * (room // 2) + "\n",
        "long string": base + json.dumps({"diagnosticEvent": {"message": "x" * room}}) + "\n",
    }


SIZE = 64 * 1024


def _peak_memory(preflight, path) -> tuple[int, object]:
    tracemalloc.start()
    try:
        run = preflight("report", path, "--format", "json", "--max-file-bytes", SIZE)
        return tracemalloc.get_traced_memory()[1], run
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", sorted(_hostile_shapes(SIZE)))
def test_memory_stays_bounded_by_the_input_limits(preflight, tmp_path, shape):
    plain = write_log(tmp_path / "plain.jsonl", preview())
    preflight("report", plain)  # imports and the pack's own metadata, before anything is measured
    baseline, _ = _peak_memory(preflight, plain)
    path = tmp_path / "hostile.jsonl"
    path.write_text(_hostile_shapes(SIZE)[shape])
    peak, run = _peak_memory(preflight, path)
    assert_no_traceback(run)
    # What a log adds to a plain run: at most 64 bytes per byte of input. Keeping an error for every
    # junk line, or every value of a line past its limit, would cost more.
    assert peak - baseline < 64 * SIZE, f"{shape}: {(peak - baseline) / 2**20:.1f} MiB more for a {SIZE // 1024} KiB log"
