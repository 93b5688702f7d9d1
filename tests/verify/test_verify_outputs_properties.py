"""Properties of the outputs reader, on random bytes, random JSON and mutated real outputs.

Whatever the outputs file holds: it is read or refused with a LoadError (never another
exception); it never narrows what is checked (the settings' values are); and the verdict is
`pass` only when the outputs agree with the settings and every expected control was read and
passed against the account.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moto_server import FAKE_CREDENTIALS, MotoServer
from preflight.__main__ import EXIT_STATUS
from preflight.safe_load import Limits, LoadError
from preflight.verify import VERIFY_RULES, StackOutputs
from preflight.verify.expected import BUCKET_KEYS, SETTLED, ExpectedStack
from preflight.verify.judgement import Judgement, against_stack, without_stack
from preflight.verify.outputs import SHAPES
from preflight.verify_command import evidence_report
from verify_account import build_account

# Small limits, so random inputs also reach them.
LIMITS = Limits(max_file_bytes=4096, max_depth=8, max_nodes=500)
OUTPUT_NAMES = st.sampled_from(sorted(SHAPES)) | st.text(max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(OUTPUT_NAMES, inner, max_size=4),
    max_leaves=20,
)
JSON_OBJECTS = st.dictionaries(OUTPUT_NAMES, JSON_VALUES, max_size=8)


@pytest.fixture(scope="module")
def compliant(moto_server: MotoServer) -> dict:
    """One compliant account for the module's examples, and the outputs the program exports for it."""
    moto_server.reset()
    return build_account(moto_server.endpoint_url)


@pytest.fixture(scope="module")
def session() -> boto3.session.Session:
    """One session for every example: it caches the service models each run would load again."""
    return boto3.session.Session(**FAKE_CREDENTIALS)


def read(content: bytes) -> StackOutputs | None:
    """The outputs in a file holding `content`, or None when the reader refuses it (exit status 2)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "outputs.json"
        path.write_bytes(content)
        try:
            return StackOutputs.from_file(path, LIMITS)
        except LoadError:
            return None


def assert_never_narrows(expected: ExpectedStack, given: StackOutputs, judgement: Judgement) -> None:
    """The controls check the settings' values; any output that says otherwise is reported."""
    values = judgement.values.values
    assert {key: values[key] for key in SETTLED} == dict(expected.settled)
    assert set(values["kmsKeyArns"]) == set(expected.key_purposes)
    reported = {problem.key for problem in judgement.problems}
    for key in SETTLED:
        if key in given.values and given.values[key] != expected.settled[key]:
            assert key in reported


def assert_cannot_pass_without_stack(given: StackOutputs) -> None:
    assert without_stack(given).problems, "without stack settings the outputs alone must never pass"


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=600) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_random_bytes_are_read_or_refused_and_never_narrow_what_is_checked(expected, content):
    outputs = read(content)

    if outputs is not None:
        assert isinstance(outputs.values, dict)
        assert_never_narrows(expected, outputs, against_stack(expected, outputs))
        assert_cannot_pass_without_stack(outputs)


@settings(max_examples=150, deadline=None)
@given(values=JSON_OBJECTS)
def test_random_outputs_never_narrow_what_is_checked(expected, values):
    outputs = read(json.dumps(values).encode())

    if outputs is not None:
        assert_never_narrows(expected, outputs, against_stack(expected, outputs))
        assert_cannot_pass_without_stack(outputs)


def mutations(outputs: dict) -> st.SearchStrategy[dict]:
    """The real outputs with one output removed, replaced by any JSON value, or one character changed."""
    keys = st.sampled_from(sorted(outputs))

    def removed(key: str) -> dict:
        return {k: v for k, v in outputs.items() if k != key}

    def replaced(key_and_value: tuple[str, object]) -> dict:
        key, value = key_and_value
        return {**outputs, key: value}

    def retyped(key_and_position: tuple[str, int]) -> dict:
        key, position = key_and_position
        text = json.dumps(outputs[key])
        position %= len(text)
        changed = text[:position] + ("x" if text[position] != "x" else "y") + text[position + 1:]
        try:
            return {**outputs, key: json.loads(changed)}
        except json.JSONDecodeError:
            return {**outputs, key: changed}

    return (keys.map(removed) | st.tuples(keys, JSON_VALUES).map(replaced)
            | st.tuples(keys, st.integers(min_value=0)).map(retyped))


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_mutated_real_outputs_pass_only_when_they_still_agree_and_every_control_passed(
        expected, compliant, moto_server, session, data):
    mutated = data.draw(mutations(compliant))
    outputs = read(json.dumps(mutated).encode())
    if outputs is None:
        return  # refused: exit status 2

    report = evidence_report(against_stack(expected, outputs), expected.stack, session=session,
                             endpoint_url=moto_server.endpoint_url)

    read_keys = {*SETTLED, "kmsKeyArns", *BUCKET_KEYS}
    still_agrees = all(mutated.get(key) == compliant[key] for key in read_keys if key in mutated)
    assert {entry.name for entry in report.resources} == set(VERIFY_RULES)
    if report.verdict == "pass":
        assert EXIT_STATUS[report.verdict] == 0
        assert still_agrees
        assert {entry.inputs["status"] for entry in report.resources} == {"pass"}
    elif still_agrees and mutated.get("kmsKeyArns") == compliant["kmsKeyArns"]:
        pytest.fail(f"outputs that agree with the settings did not pass: {report.errors}")
