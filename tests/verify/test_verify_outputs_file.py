"""A malformed outputs file is a clear error with exit status 2, never a traceback, never a pass."""
from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest

from not_aws import closed_port
from preflight.__main__ import main
from preflight.safe_load import MIB
from preflight.stack_files import PROJECT_ROOT

# Each is rejected before anything else happens (so before the program runs for the stack).
UNREADABLE = {
    "not JSON": (b"{not json", "not valid JSON"),
    "a list": (b"[]", "expected a JSON object"),
    "a string": (b'"outputs"', "expected a JSON object"),
    "null": (b"null", "expected a JSON object"),
    "an empty file": (b"", "not valid JSON"),
    "bytes that are not UTF-8": (b'{"clusterName": "\xff\xfe"}', "not UTF-8"),
    "a UTF-8 byte-order mark": (codecs.BOM_UTF8 + b"{}", "byte-order mark"),
    "UTF-16 with a byte-order mark": ('{"clusterName": "x"}'.encode("utf-16"), "byte-order mark"),
    "nesting past the parser": (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
    "nesting past --max-depth": (b'{"a":' * 200 + b"1" + b"}" * 200, "nested deeper than 100"),
    "a number past Python's digit limit": (b'{"clusterLogRetentionDays": ' + b"9" * 5000 + b"}", "not valid JSON"),
    # A reader sees the first, a JSON parser keeps the last: which repositories would be "the outputs"?
    "a repeated key": (b'{"ecrRepositoryNames": {}, "ecrRepositoryNames": {"frontend": "x/frontend"}}', "duplicate key"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_unreadable_outputs_file_is_a_one_line_error(case, stack_file, tmp_path, capsys):
    content, reason = UNREADABLE[case]
    outputs = tmp_path / "outputs.json"
    outputs.write_bytes(content)

    code = main(["verify", "--stack-file", str(stack_file), "--outputs", str(outputs)])
    err = capsys.readouterr().err

    assert code == 2
    assert err.startswith(f"error: {outputs.as_posix()}") and reason in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_an_outputs_file_past_the_size_limit_is_not_read(stack_file, tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"clusterName": "x" * 4096}))

    code = main(["verify", "--stack-file", str(stack_file), "--outputs", str(outputs), "--max-file-bytes", "1024"])

    assert code == 2
    assert "larger than 1024 bytes (raise --max-file-bytes" in capsys.readouterr().err


def test_outputs_of_the_wrong_type_are_errors_naming_each_key(tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({
        "ecrRepositoryNames": ["frontend"],
        "endpointPublicAccess": "false",
        "clusterLogRetentionDays": 90.5,
        "ciTrust": "repo:example-org/*",
    }, indent=2))

    code = main(["verify", "--outputs", str(outputs), "--endpoint-url", closed_port(), "--format", "json"])
    errors = json.loads(capsys.readouterr().out)["errors"]

    assert code == 2
    wrong = {(e["line"], e["message"].split(" must be ")[0]) for e in errors if " must be " in e["message"]}
    assert wrong == {(2, "output 'ecrRepositoryNames'"), (5, "output 'endpointPublicAccess'"),
                     (6, "output 'clusterLogRetentionDays'"), (7, "output 'ciTrust'")}


# The largest inputs the default limits let through, each shaped to cost the most memory.
LARGEST = {
    "one long string": lambda size: b'{"clusterName": "' + b"x" * (size - 20) + b'"}',
    "many small keys": lambda size: b"{" + b",".join(b'"k%d":0' % n for n in range(size // 12)) + b"}",
    "deep nesting": lambda size: b"[" * (size // 2) + b"]" * (size // 2),
}
# Reads one outputs file in a fresh interpreter and prints its peak resident memory in kB
# (VmHWM: the high-water mark of this process's own memory, which exec starts afresh).
READ_ONE = """
import re, sys
from pathlib import Path
from preflight.safe_load import LoadError
from preflight.verify import StackOutputs
try:
    StackOutputs.from_file(Path(sys.argv[1]))
except LoadError:
    pass
print(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
"""


def peak_memory_reading(path: Path) -> int:
    """Peak resident memory, in bytes, of a fresh interpreter that reads the outputs file at `path`."""
    completed = subprocess.run([sys.executable, "-c", READ_ONE, str(path)], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True)
    return int(completed.stdout) * 1024


@pytest.mark.parametrize("case", sorted(LARGEST))
def test_reading_the_largest_outputs_file_stays_within_bounded_memory(case, tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_bytes(LARGEST[case](8 * MIB - 64))

    peak = peak_memory_reading(outputs)

    assert peak < 256 * MIB, f"{peak / MIB:.0f} MiB"
