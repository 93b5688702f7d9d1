"""Reports quote untrusted strings (manifest names, messages, file names) literally in every format,
report-path problems are exit 2 with a message, and nothing ends in a traceback."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

import preflight.scan as scan_module
from preflight.evaluation import PolicyMetadata, Violation
from preflight.formats import renderer
from preflight.report import InputError, Report

HOSTILE_NAME = "x<img src=x onerror=alert(1)>[click](javascript:alert(1))|@admin`\x1b[2J\x1b]0;owned\x07\u202e"
HOSTILE_URN = f"urn:pulumi:manifests::scan::kubernetes:apps/v1:Deployment::apps/{HOSTILE_NAME}"


def _report() -> Report:
    meta = PolicyMetadata("k8s-no-latest-image", "d", "high", "mandatory", "resource", "NIST SP 800-190", "", "4.1.1",
                          "", (), "pin it", "https://example.invalid", {})
    return Report(
        kind="scan", stack=None, policy_pack="devsecops-platform", policy_pack_version="1.0.0", resources=(),
        policies=(meta,), violations=(Violation("k8s-no-latest-image", "high", "mandatory", HOSTILE_URN,
                                                f"d\nimage {HOSTILE_NAME}:latest"),),
        passed=(), errors=(InputError(f"dir/{HOSTILE_NAME}.yaml", 3, f"not valid YAML: {HOSTILE_NAME}"),),
    )


def test_markdown_shows_hostile_names_literally():
    md = renderer("markdown")(_report())
    for raw in ("<img", "\x1b", "\u202e", " @admin"):
        assert raw not in md
    assert not re.search(r"(?<!\\)\]\(", md), "an unescaped ]( would make a link"
    assert "&lt;img src=x onerror=alert(1)&gt;" in md and "\\[click\\]" in md and "\\@admin" in md
    table_rows = [line for line in md.splitlines() if line.startswith("| high | mandatory")]
    # The name's pipe is escaped, so the row keeps exactly its seven cells.
    assert len(table_rows) == 1 and table_rows[0].replace("\\|", "").count("|") == 8


def test_text_escapes_terminal_control_characters():
    text = renderer("text")(_report())
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text and "\\u202e" in text
    assert text.rstrip().endswith("verdict: error")


def test_html_escapes_hostile_names():
    html = renderer("html")(_report())
    tags: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append(tag)

    Tags().feed(html)
    assert "img" not in tags and "script" not in tags
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_sarif_and_json_carry_errors_with_their_location():
    sarif = json.loads(renderer("sarif")(_report()))
    notification = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]
    assert notification["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    document = json.loads(renderer("json")(_report()))
    assert document["errors"][0]["line"] == 3 and document["summary"]["verdict"] == "error"


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}))
    return path


@pytest.mark.parametrize("where", ["directory", "under-a-file", "full-device"])
def test_unwritable_output_is_exit_2_with_a_message(preflight, manifest, tmp_path, where):
    target = {
        "directory": tmp_path,
        "under-a-file": manifest / "report.json",
        "full-device": Path("/dev/full"),
    }[where]
    if where == "full-device" and not target.exists():
        pytest.skip("/dev/full is not available")
    run = preflight("scan", manifest, "--format", "json", "--output", target)
    assert run.status == 2
    assert run.err.startswith("error: --output ") and "Traceback" not in run.err


def test_unexpected_failure_is_one_line_exit_2_and_debug_shows_the_traceback(preflight, manifest, monkeypatch, capsys):
    def explode(*_args, **_kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(scan_module, "evaluate", explode)
    run = preflight("scan", manifest)
    assert run.status == 2 and run.out == ""
    assert run.err.count("\n") == 1 and "unexpected failure (KeyError" in run.err and "--debug" in run.err

    debug = preflight("scan", manifest, "--debug")
    assert debug.status == 2 and "Traceback (most recent call last)" in debug.err


def test_error_messages_escape_control_characters_in_file_names(preflight, tmp_path):
    hostile = tmp_path / "evil\x1b[2Jname.yaml"
    run = preflight("scan", hostile)
    assert run.status == 2 and "\x1b" not in run.err and "\\x1b[2J" in run.err
